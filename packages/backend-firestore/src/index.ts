export { FirestoreBackend, DEFAULT_DOCUMENT_ID, type FirestoreBackendOptions } from './firestore-backend.js';
export { FirestorePartitionedBackend, type FirestorePartitionedBackendOptions } from './firestore-partitioned-backend.js';
export { FirestoreLockTimeoutError, type FirestoreLockTimeoutErrorOptions } from './lock-timeout-error.js';
export { partitionDocumentId } from './partition-document-id.js';
