// Type-level checks (run by `tsc --noEmit`, not jest): every node-redis 5 client fits the
// backends' `client` option (single node or cluster), whatever its modules, RESP version or type mapping.
import { createClient, createCluster, defineScript, RESP_TYPES } from 'redis';
import { RedisPartitionedTokenBackend, RedisTokenBackend } from '../src/index.js';

const plain = createClient();
const resp3 = createClient({ RESP: 3, url: 'redis://127.0.0.1:6379' });
const buffers = createClient().withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer });
const scripted = createClient({
  scripts: {
    one: defineScript({ SCRIPT: 'return 1', NUMBER_OF_KEYS: 0, parseCommand: () => undefined, transformReply: () => 1 as unknown as never }),
  },
});

new RedisTokenBackend({ client: plain });
new RedisTokenBackend({ client: resp3, key: 'x' });
new RedisTokenBackend({ client: buffers });
new RedisTokenBackend({ client: scripted });
new RedisPartitionedTokenBackend({ client: resp3 });

const cluster = createCluster({ rootNodes: [{ url: 'redis://127.0.0.1:7000' }] });
const resp3Cluster = createCluster({ rootNodes: [{ url: 'redis://127.0.0.1:7000' }], RESP: 3 });
new RedisTokenBackend({ client: cluster });
new RedisPartitionedTokenBackend({ client: resp3Cluster });

// @ts-expect-error not a node-redis client
new RedisTokenBackend({ client: { get: async () => null } });
