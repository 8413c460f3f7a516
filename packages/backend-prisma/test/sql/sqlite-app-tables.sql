-- Test-only application tables (models AppUser and Tenant in test/prisma/app-models.prisma).
CREATE TABLE "app_user" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "email" TEXT NOT NULL UNIQUE,
    "o365_token" TEXT,
    "o365_token_version" INTEGER NOT NULL DEFAULT 0,
    "o365_token_locked_until" DATETIME
);
CREATE TABLE "tenant" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "name" TEXT NOT NULL,
    "o365_token" TEXT
);
