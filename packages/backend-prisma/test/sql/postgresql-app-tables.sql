-- Test-only application tables (models AppUser and Tenant in test/prisma/app-models.prisma).
CREATE TABLE "app_user" (
    "id" SERIAL PRIMARY KEY,
    "email" TEXT NOT NULL UNIQUE,
    "o365_token" TEXT,
    "o365_token_version" INTEGER NOT NULL DEFAULT 0,
    "o365_token_locked_until" TIMESTAMP(3)
);
CREATE TABLE "tenant" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "name" TEXT NOT NULL,
    "o365_token" TEXT
);
