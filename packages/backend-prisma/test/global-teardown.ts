export default async function globalTeardown(): Promise<void> {
  try {
    globalThis.__O365_PRISMA_PG__?.stop();
  } finally {
    globalThis.__O365_PRISMA_PG__ = undefined;
    const maria = globalThis.__O365_PRISMA_MARIADB__;
    globalThis.__O365_PRISMA_MARIADB__ = undefined;
    await maria?.stop();
  }
}
