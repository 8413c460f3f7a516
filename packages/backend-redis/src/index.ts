export {
  RedisTokenBackend,
  DEFAULT_TTL_SECONDS,
  type RedisTokenBackendOptions,
  type RedisLockOptions,
} from './redis-token-backend.js';
export {
  RedisPartitionedTokenBackend,
  type RedisPartitionedTokenBackendOptions,
} from './redis-partitioned-token-backend.js';
export type { RedisClientLike, RedisClientLikeOptions, RedisClusterLike } from './redis-client.js';
