import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it, onTestFinished } from 'vitest';
import { pinPlace, undoPin } from '../src/index.js';

// pinPlace and undoPin look at and remove files and directories alone: any filesystem does.
function scratch(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ts-ebpf-pin-place-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

it('pinPlace lists the missing parents deepest first and whether the path is taken', () => {
  const dir = scratch();
  expect(pinPlace(join(dir, 'a/b/pin'))).toEqual({
    path: join(dir, 'a/b/pin'),
    taken: false,
    missingDirs: [join(dir, 'a/b'), join(dir, 'a')],
  });
  writeFileSync(join(dir, 'pin'), '');
  expect(pinPlace(join(dir, 'pin'))).toEqual({ path: join(dir, 'pin'), taken: true, missingDirs: [] });
});

it('undoPin removes the pin and the directories made for it, keeping one that holds more', () => {
  const dir = scratch();
  const place = pinPlace(join(dir, 'a/b/pin'));
  mkdirSync(join(dir, 'a/b'), { recursive: true });
  writeFileSync(join(dir, 'a/b/pin'), '');
  undoPin(place);
  expect(readdirSync(dir)).toEqual([]);

  mkdirSync(join(dir, 'a/b'), { recursive: true });
  writeFileSync(join(dir, 'a/b/pin'), '');
  writeFileSync(join(dir, 'a/other'), '');
  undoPin(place);
  expect(existsSync(join(dir, 'a/b'))).toBe(false);
  expect(readdirSync(join(dir, 'a'))).toEqual(['other']);
  undoPin(place); // all gone already: nothing to do
});
