-- @o365/backend-prisma: a dedicated table for token caches (model O365Token in prisma/postgresql.prisma).
-- One row per cache; `version` is the optimistic-concurrency counter the backend checks on every
-- conditional save. Needed privileges: SELECT, INSERT, UPDATE, DELETE on this table.
CREATE TABLE "o365_token" (
    "key" TEXT NOT NULL,
    "token" TEXT,
    "version" INTEGER NOT NULL DEFAULT 0,
    "updated_at" TIMESTAMP(3) NOT NULL,
    "locked_until" TIMESTAMP(3),

    CONSTRAINT "o365_token_pkey" PRIMARY KEY ("key")
);
