import type { Firestore } from '@google-cloud/firestore';

/**
 * The project a Firestore client talks to, for messages. The client knows it once configured
 * (`projectId`, `GOOGLE_CLOUD_PROJECT`) or detected (on its first call); its getter is not part
 * of the typed API, hence the guarded read.
 */
export function clientProjectId(firestore: Firestore): string {
  try {
    const id = (firestore as unknown as { projectId?: unknown }).projectId;
    if (typeof id === 'string' && id !== '') return id;
  } catch {
    // Not yet detected.
  }
  return '(auto-detected)';
}
