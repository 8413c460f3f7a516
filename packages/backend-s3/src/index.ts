export { AWSS3Backend, type AWSS3BackendOptions, type S3ServerSideEncryption } from './aws-s3-backend.js';
