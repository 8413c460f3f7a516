-- @o365/backend-prisma: a dedicated table for token caches (model O365Token in prisma/mysql.prisma).
-- MySQL 8 and MariaDB 10.6+. One row per cache; `version` is the optimistic-concurrency counter the
-- backend checks on every conditional save. MEDIUMTEXT holds caches up to 16 MB (TEXT stops at
-- 64 KB; a write is also bounded by the server's max_allowed_packet). Both `key` and `token` use the
-- binary collation: keys are case-sensitive as on PostgreSQL and SQLite ("Contoso" and "contoso"
-- are two caches, not one), and comparisons of the stored text are exact. DATETIME(3) keeps the
-- milliseconds the row-lease lock matches on. (`prisma migrate` generates this table without the
-- two COLLATE clauses: Prisma cannot express a column collation, so add them to its migration.)
-- Needed privileges: SELECT, INSERT, UPDATE, DELETE on this table.
CREATE TABLE `o365_token` (
    `key` VARCHAR(191) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    `token` MEDIUMTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL,
    `version` INTEGER NOT NULL DEFAULT 0,
    `updated_at` DATETIME(3) NOT NULL,
    `locked_until` DATETIME(3) NULL,

    PRIMARY KEY (`key`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
