import { randomBytes } from 'node:crypto';
import type { DocumentReference, Timestamp } from '@google-cloud/firestore';

/** The field of ours next to the cache: the revision of the stored cache, which is its version. */
export const REVISION_FIELD = 'o365Revision';
/** Subcollection of the cache document with the backend's bookkeeping (revision markers, lease). */
export const META_COLLECTION = 'o365-meta';

const REVISION = /^[0-9a-z]{9}-[A-Za-z0-9_-]{16}$/;

/**
 * A new revision: the writer's clock in base36 (for people reading the document) and 96 random
 * bits (so that no revision ever comes back, even after a delete: no ABA).
 */
export function newRevision(now: number = Date.now()): string {
  return `${now.toString(36).padStart(9, '0')}-${randomBytes(12).toString('base64url')}`;
}

export function isRevision(value: unknown): value is string {
  return typeof value === 'string' && REVISION.test(value);
}

/**
 * The version of a cache document written by someone else (python-o365 writes the field alone,
 * with no revision): its update time, exact to the nanosecond.
 */
export function updateTimeVersion(updateTime: Timestamp): string {
  return `updateTime:${updateTime.seconds}.${String(updateTime.nanoseconds).padStart(9, '0')}`;
}

/**
 * The marker of a revision: a document that exists exactly while that revision is the stored one.
 * Every write deletes the marker of the revision it replaces with the precondition `exists: true`
 * and creates the marker of its own revision, in the same commit. Of two writers that read the
 * same revision, only the first can delete its marker: the second commit fails as a whole.
 */
export function revisionMarker(doc: DocumentReference, revision: string): DocumentReference {
  return doc.collection(META_COLLECTION).doc(`revision-${revision}`);
}
