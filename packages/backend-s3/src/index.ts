export { AWSS3Backend, type AWSS3BackendOptions, type S3ServerSideEncryption } from './aws-s3-backend.js';
export { AWSS3PartitionedBackend, type AWSS3PartitionedBackendOptions } from './aws-s3-partitioned-backend.js';
export type { S3LeaseLockOptions } from './s3-lease-lock.js';
