-- @o365/backend-prisma: a dedicated table for token caches (model O365Token in prisma/sqlite.prisma).
-- One row per cache; `version` is the optimistic-concurrency counter the backend checks on every
-- conditional save.
CREATE TABLE "o365_token" (
    "key" TEXT NOT NULL PRIMARY KEY,
    "token" TEXT,
    "version" INTEGER NOT NULL DEFAULT 0,
    "updated_at" DATETIME NOT NULL,
    "locked_until" DATETIME
);
