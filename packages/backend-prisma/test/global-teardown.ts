export default async function globalTeardown(): Promise<void> {
  globalThis.__O365_PRISMA_PG__?.stop();
  globalThis.__O365_PRISMA_PG__ = undefined;
}
