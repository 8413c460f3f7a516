-- @o365/backend-prisma: a dedicated table for token caches (model O365Token in prisma/mysql.prisma).
-- One row per cache; `version` is the optimistic-concurrency counter the backend checks on every
-- conditional save. MEDIUMTEXT holds caches up to 16 MB; the binary collation keeps comparisons
-- exact. Needed privileges: SELECT, INSERT, UPDATE, DELETE on this table.
CREATE TABLE `o365_token` (
    `key` VARCHAR(191) NOT NULL,
    `token` MEDIUMTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL,
    `version` INTEGER NOT NULL DEFAULT 0,
    `updated_at` DATETIME(3) NOT NULL,
    `locked_until` DATETIME(3) NULL,

    PRIMARY KEY (`key`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
