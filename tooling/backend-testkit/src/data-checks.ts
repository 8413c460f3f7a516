// Checks of what is stored: round trips, absence, delete, versions.
import { ConformanceError } from './conformance-error.js';
import {
  check,
  checkStored,
  describeError,
  describeValue,
  loadStored,
  open,
  saveVersion,
  uniqueKey,
  withFreshKey,
} from './check-helpers.js';
import type { ConformanceCheck } from './conformance-check.js';
import { largeBytes, makeLargeData, UNICODE_SAMPLE } from './test-data.js';

export const roundTripLarge: ConformanceCheck = {
  id: 'round-trip-large',
  title: (o) =>
    o.dataLimit
      ? `round trip of large data at the service limit (${largeBytes(o)} bytes: ${o.dataLimit.reason})`
      : `round trip of large data (~${(largeBytes(o) / 1e6).toFixed(1)} MB)`,
  applies: () => true,
  async run(options) {
    const id = this.id;
    await withFreshKey(options, async (key) => {
      const data = makeLargeData(largeBytes(options));
      const version = await saveVersion(id, await open(options, key), data, 'save(large)');
      const stored = await loadStored(
        id,
        await open(options, key),
        'load after save(large) from another instance',
      );
      check(id, stored !== undefined, 'load() returned undefined right after a successful save');
      check(
        id,
        stored.data.length === data.length,
        `load() returned ${stored.data.length} characters, ${data.length} were saved`,
      );
      check(id, stored.data === data, 'load() returned different data than was saved');
      check(
        id,
        stored.version === version,
        `load() returned version ${stored.version}, save() returned ${version}`,
      );
    });
  },
};

export const roundTripUnicode: ConformanceCheck = {
  id: 'round-trip-unicode',
  title: () => 'round trip of unicode data (emoji, RTL, CJK, combining marks, astral characters)',
  applies: () => true,
  async run(options) {
    const id = this.id;
    await withFreshKey(options, async (key) => {
      await saveVersion(id, await open(options, key), UNICODE_SAMPLE, 'save(unicode)');
      const stored = await loadStored(id, await open(options, key), 'load after save(unicode)');
      check(id, stored !== undefined, 'load() returned undefined right after a successful save');
      if (stored.data !== UNICODE_SAMPLE) {
        let at = 0;
        while (at < stored.data.length && stored.data[at] === UNICODE_SAMPLE[at]) at += 1;
        throw new ConformanceError(
          id,
          `unicode data changed in the round trip (first difference at UTF-16 index ${at}; check the encoding and normalization)`,
        );
      }
    });
  },
};

export const missingIsUndefined: ConformanceCheck = {
  id: 'missing-is-undefined',
  title: () => 'load() of something never stored resolves to undefined',
  applies: () => true,
  async run(options) {
    const key = uniqueKey(options.name);
    const value = await (await open(options, key)).load();
    check(
      this.id,
      value === undefined,
      `load() of a never-written key returned ${describeValue(value)}, expected undefined`,
    );
  },
};

export const deleteIdempotent: ConformanceCheck = {
  id: 'delete-idempotent',
  title: () => 'delete() is idempotent (never-written, twice in a row) and a new save works after it',
  applies: () => true,
  async run(options) {
    const id = this.id;
    await withFreshKey(options, async (key) => {
      await (await open(options, key)).delete().catch((error: unknown) => {
        throw new ConformanceError(
          id,
          `delete() of a never-written key rejected (${describeError(error)}); it must resolve`,
          { cause: error },
        );
      });
      const backend = await open(options, key);
      await saveVersion(id, backend, '{"n":1}', 'save');
      await backend.delete();
      check(id, (await backend.load()) === undefined, 'load() after delete() did not return undefined');
      await (await open(options, key)).delete().catch((error: unknown) => {
        throw new ConformanceError(
          id,
          `a second delete() rejected (${describeError(error)}); it must resolve`,
          { cause: error },
        );
      });
      check(
        id,
        (await (await open(options, key)).load()) === undefined,
        'load() from another instance after delete() did not return undefined',
      );
      const version = await saveVersion(id, backend, '{"n":2}', 'save after delete');
      await checkStored(id, backend, { data: '{"n":2}', version }, 'load after re-save', 'save() after delete() was not read back');
    });
  },
};

export const versions: ConformanceCheck = {
  id: 'versions',
  title: () => 'save() returns a version, load() returns the same one, and new data gets a new version',
  applies: () => true,
  async run(options) {
    const id = this.id;
    await withFreshKey(options, async (key) => {
      const a = await open(options, key);
      const b = await open(options, key);
      const v1 = await saveVersion(id, a, '{"v":1}', 'first save');
      const seen1 = await loadStored(id, b, 'load from another instance');
      check(
        id,
        seen1?.version === v1,
        `load() returned version ${String(seen1?.version)}, save() returned ${v1}`,
      );
      const v2 = await saveVersion(id, b, '{"v":2}', 'second save');
      check(
        id,
        v2 !== v1,
        'saving different data returned the same version; versions must change when the data does',
      );
      const seen2 = await loadStored(id, a, 'load after second save');
      check(
        id,
        seen2?.version === v2 && seen2.data === '{"v":2}',
        'load() did not return the second save and its version',
      );
    });
  },
};
