import { MemoryTokenBackend } from '@o365/core';

/** createBackend for MemoryTokenBackend: one shared slot per key, a new instance per call. */
export function memoryFactory(): (key: string) => MemoryTokenBackend {
  const slots = new Map<string, MemoryTokenBackend>();
  return (key) => {
    let root = slots.get(key);
    if (!root) {
      root = new MemoryTokenBackend();
      slots.set(key, root);
    }
    return root.share();
  };
}
