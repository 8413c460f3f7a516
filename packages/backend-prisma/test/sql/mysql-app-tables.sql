-- Test-only application tables (models AppUser and Tenant in test/prisma/app-models.prisma), as
-- `prisma migrate` creates them on MySQL / MariaDB for the README's model (the token column declared
-- `@db.MediumText`; Prisma's default String column, VARCHAR(191), cannot hold a token cache).
CREATE TABLE `app_user` (
    `id` INTEGER NOT NULL AUTO_INCREMENT,
    `email` VARCHAR(191) NOT NULL,
    `o365_token` MEDIUMTEXT NULL,
    `o365_token_version` INTEGER NOT NULL DEFAULT 0,
    `o365_token_locked_until` DATETIME(3) NULL,

    UNIQUE INDEX `app_user_email_key`(`email`),
    PRIMARY KEY (`id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;

CREATE TABLE `tenant` (
    `id` VARCHAR(191) NOT NULL,
    `name` VARCHAR(191) NOT NULL,
    `o365_token` MEDIUMTEXT NULL,

    PRIMARY KEY (`id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
