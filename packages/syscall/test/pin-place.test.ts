import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EbpfError } from '@ts-ebpf/uapi';
import { expect, it, onTestFinished } from 'vitest';
import { pinPlace, UnpinError, undoPin, unpin } from '../src/index.js';

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

/** What `act` threw, checked to be an UnpinError. */
function unpinError(act: () => void): UnpinError {
  try {
    act();
  } catch (e) {
    expect(e).toBeInstanceOf(UnpinError);
    expect(e).toBeInstanceOf(EbpfError);
    return e as UnpinError;
  }
  throw new Error('no error was thrown');
}

it('unpin and undoPin wrap a failed unlink in UnpinError naming the path, the call and the cause', () => {
  const dir = scratch();
  writeFileSync(join(dir, 'file'), '');
  // a path through a regular file: unlink answers ENOTDIR (not "gone already")
  const through = join(dir, 'file/pin');
  for (const act of [() => unpin(through), () => undoPin({ path: through, taken: false, missingDirs: [] })]) {
    const e = unpinError(act);
    expect(e.message).toMatch(new RegExp(`^cannot remove the pin '${through}': unlink failed: ENOTDIR`));
    expect([e.path, e.pin, e.operation, e.code]).toEqual([through, through, 'unlink', 'ENOTDIR']);
    expect((e.cause as NodeJS.ErrnoException).code).toBe('ENOTDIR');
  }
  // a directory where the pin should be: EISDIR
  mkdirSync(join(dir, 'a-dir'));
  const e = unpinError(() => unpin(join(dir, 'a-dir')));
  expect(e.message).toContain(`the pin '${join(dir, 'a-dir')}': unlink failed: EISDIR`);
  expect(e.code).toBe('EISDIR');
  expect(existsSync(join(dir, 'a-dir'))).toBe(true);
});

it('undoPin wraps a failed rmdir of a directory made for the pin in UnpinError', () => {
  const dir = scratch();
  const place = pinPlace(join(dir, 'made/pin'));
  expect(place.missingDirs).toEqual([join(dir, 'made')]);
  // The directory made for the pin is now a symlink to an empty directory: the pin's unlink
  // finds nothing (ENOENT, passed over), rmdir of the symlink answers ENOTDIR.
  mkdirSync(join(dir, 'elsewhere'));
  symlinkSync(join(dir, 'elsewhere'), join(dir, 'made'));
  const e = unpinError(() => undoPin(place));
  expect(e.message).toMatch(
    new RegExp(
      `^cannot remove the directory '${join(dir, 'made')}' made for the pin '${place.path}': rmdir failed: ENOTDIR`,
    ),
  );
  expect([e.path, e.pin, e.operation, e.code]).toEqual([join(dir, 'made'), place.path, 'rmdir', 'ENOTDIR']);
  expect((e.cause as NodeJS.ErrnoException).syscall).toBe('rmdir');
});
