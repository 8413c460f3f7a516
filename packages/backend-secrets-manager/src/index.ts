export {
  AWSSecretsBackend,
  MAX_SECRET_BYTES,
  PENDING_STAGE,
  type AWSSecretsBackendOptions,
} from './aws-secrets-backend.js';
