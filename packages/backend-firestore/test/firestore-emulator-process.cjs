// A real @firestore-emulator/server (gRPC), run as its own process so that its gRPC server does not
// share the test's event loop. Bound to 127.0.0.1 on a free port (the package's own `start(port)`
// binds 0.0.0.0), it prints one line `{"port":N}` and stops when its stdin closes (the parent died
// or stopped it).
//
// Fault injection, as a real service would answer: every request addressed to the project named in
// O365_FIRESTORE_DENIED_PROJECT (default `permission-denied-project`) gets gRPC PERMISSION_DENIED
// with the service's message, so the backend's handling of a missing IAM permission runs against
// the real client and wire format.
'use strict';
const { createRequire } = require('node:module');
const emulatorEntry = require.resolve('@firestore-emulator/server');
const fromEmulator = createRequire(emulatorEntry);
// The emulator's own gRPC library: its Server and status codes, not a second copy.
const grpc = fromEmulator('@grpc/grpc-js');
const { FirestoreServer } = fromEmulator('./index.js');

const deniedProject = process.env.O365_FIRESTORE_DENIED_PROJECT || 'permission-denied-project';
const deniedPrefix = `projects/${deniedProject}/`;

// Every call of the Firestore client names its database in this header (`projects/P/databases/D`).
const RESOURCE_HEADER = 'google-cloud-resource-prefix';

// FirestoreServer keeps its state, service implementation and gRPC server in one bundle (the
// package's separately bundled files each carry their own copy of its error class, which turns
// precondition failures into UNKNOWN). Its `start(port)` binds 0.0.0.0, so its gRPC server is bound
// here directly, on loopback.
const emulator = new FirestoreServer();
const server = emulator.server;
if (!server || typeof server.bindAsync !== 'function' || !Array.isArray(server.interceptors)) {
  throw new Error('@firestore-emulator/server changed: FirestoreServer.server is not a @grpc/grpc-js Server with interceptors');
}
// A gRPC server interceptor (grpc-js >= 1.10): requests for the denied project end with the status
// and message the real service sends for a missing IAM permission.
server.interceptors.push((_method, call) =>
  new grpc.ServerInterceptingCall(call, {
    start(next) {
      next({
        onReceiveMetadata(metadata, nextMetadata) {
          const [resource] = metadata.get(RESOURCE_HEADER);
          if (typeof resource === 'string' && `${resource}/`.startsWith(deniedPrefix)) {
            call.sendStatus({ code: grpc.status.PERMISSION_DENIED, details: 'Missing or insufficient permissions.', metadata: new grpc.Metadata() });
            return;
          }
          nextMetadata(metadata);
        },
      });
    },
  }),
);
server.bindAsync(`127.0.0.1:${process.env.O365_FIRESTORE_PORT || 0}`, grpc.ServerCredentials.createInsecure(), (error, port) => {
  if (error) {
    process.stderr.write(`${error.stack || error}\n`);
    process.exit(1);
  }
  process.stdout.write(`${JSON.stringify({ port })}\n`);
});

const stop = () => {
  server.forceShutdown();
  process.exit(0);
};
process.stdin.on('end', stop);
process.stdin.on('close', stop);
process.stdin.resume();
process.on('SIGTERM', stop);
