/** Generates the test Prisma clients into test/generated/ (no-op when up to date). */
export declare function generateClients(): void;
export declare const generatedDir: string;
export declare const PROVIDERS: readonly ['postgresql', 'sqlite', 'mysql'];
