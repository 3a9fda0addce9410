// Generates a dataset folder full of awkward files (real image bytes made by sharp), and what import must make of each.
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';

export interface Expected {
  path: string;
  outcome: 'kept' | 'skipped';
  reason?: string;
  /** A substring the import report's conversion detail must contain. */
  conversion?: string;
}

/** A size x size RGB image of one colour, as raw pixels. */
function solid(width: number, height: number, rgb: [number, number, number]): Buffer {
  const data = Buffer.alloc(width * height * 3);
  for (let i = 0; i < width * height; i++) data.set(rgb, i * 3);
  return data;
}

const raw = (width: number, height: number, channels: 1 | 2 | 3 | 4) => ({ raw: { width, height, channels } });

/**
 * Writes the corpus into `root` (classes 'cats', 'dogs', 'empty', 'café'; stray files beside them) and returns the
 * expected outcome of every file. Image content is chosen so that conversions can be checked pixel by pixel.
 */
export async function makeTestCorpus(root: string): Promise<Expected[]> {
  const expected: Expected[] = [];
  const write = async (rel: string, bytes: Buffer | Promise<Buffer>, e: Omit<Expected, 'path'>) => {
    const file = path.join(root, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, await bytes);
    expected.push({ path: rel, ...e });
  };
  const red = solid(64, 48, [200, 30, 60]);
  await write('cats/red.jpg', sharp(red, raw(64, 48, 3)).jpeg({ quality: 100, chromaSubsampling: '4:4:4' }).toBuffer(), { outcome: 'kept' });
  await write('cats/red.png', sharp(red, raw(64, 48, 3)).png().toBuffer(), { outcome: 'kept' });
  await write('cats/UPPER.JPG', sharp(red, raw(64, 48, 3)).jpeg().toBuffer(), { outcome: 'kept' });
  const grey = Buffer.alloc(40 * 40, 90);
  await write('cats/grey.png', sharp(grey, raw(40, 40, 1)).toColourspace('b-w').png().toBuffer(), { outcome: 'kept', conversion: 'greyscale' });
  await write('cats/palette.png', sharp(red, raw(64, 48, 3)).png({ palette: true, colours: 4 }).toBuffer(), { outcome: 'kept', conversion: 'palette' });
  await write('cats/sixteen.png', sharp(red, raw(64, 48, 3)).toColourspace('rgb16').png().toBuffer(), { outcome: 'kept', conversion: '16-bit RGB' });
  await write('cats/grey16.png', sharp(grey, raw(40, 40, 1)).toColourspace('grey16').png().toBuffer(), { outcome: 'kept', conversion: '16-bit greyscale' });
  const rgba = Buffer.alloc(32 * 32 * 4);
  for (let i = 0; i < 32 * 32; i++) rgba.set([10, 20, 30, 0], i * 4); // fully transparent
  await write('cats/alpha.png', sharp(rgba, raw(32, 32, 4)).png().toBuffer(), { outcome: 'kept', conversion: 'alpha' });
  const greyAlpha = Buffer.alloc(32 * 32 * 2);
  for (let i = 0; i < 32 * 32; i++) greyAlpha.set([50, 255], i * 2);
  await write('cats/grey-alpha.png', sharp(greyAlpha, raw(32, 32, 2)).toColourspace('b-w').png().toBuffer(), { outcome: 'kept', conversion: 'alpha' });
  await write('cats/cmyk.jpg', sharp(red, raw(64, 48, 3)).toColourspace('cmyk').jpeg().toBuffer(), { outcome: 'kept', conversion: 'CMYK' });
  // EXIF orientation 6 (rotate 90 degrees clockwise to display): a wide image with a red left half stored sideways.
  const wide = Buffer.alloc(80 * 40 * 3);
  for (let y = 0; y < 40; y++) for (let x = 0; x < 80; x++) wide.set(x < 40 ? [255, 0, 0] : [0, 0, 255], (y * 80 + x) * 3);
  await write('cats/rotated.jpg', sharp(wide, raw(80, 40, 3)).jpeg({ quality: 100 }).withMetadata({ orientation: 6 }).toBuffer(), { outcome: 'kept', conversion: 'EXIF orientation 6' });
  await write('cats/tiny.png', sharp(solid(1, 1, [0, 255, 0]), raw(1, 1, 3)).png().toBuffer(), { outcome: 'kept' });
  await write('cats/nested/deeper/inside.webp', sharp(red, raw(64, 48, 3)).webp().toBuffer(), { outcome: 'kept' });
  await write('dogs/anim.gif', sharp(red, raw(64, 48, 3)).gif().toBuffer(), { outcome: 'kept' });
  await write('dogs/scan.tiff', sharp(red, raw(64, 48, 3)).tiff().toBuffer(), { outcome: 'kept' });
  await write('dogs/png-named.jpg', sharp(red, raw(64, 48, 3)).png().toBuffer(), { outcome: 'kept' });
  const blue = solid(50, 50, [20, 40, 220]);
  await write('café/naïve 猫.jpg', sharp(blue, raw(50, 50, 3)).jpeg().toBuffer(), { outcome: 'kept' });
  await write('dogs/copy-of-red.jpg', fs.readFileSync(path.join(root, 'cats/red.jpg')), { outcome: 'kept' });
  const jpeg = await sharp(solid(300, 200, [120, 130, 140]), raw(300, 200, 3)).jpeg().toBuffer();
  await write('dogs/truncated.jpg', jpeg.subarray(0, Math.floor(jpeg.length / 2)), { outcome: 'skipped', reason: 'undecodable' });
  await write('dogs/zero.jpg', Buffer.alloc(0), { outcome: 'skipped', reason: 'empty-file' });
  await write('dogs/text.png', Buffer.from('this is not a picture\n'), { outcome: 'skipped', reason: 'undecodable' });
  await write('dogs/.DS_Store', Buffer.from([0, 0, 0, 1]), { outcome: 'skipped', reason: 'not-an-image' });
  await write('dogs/Thumbs.db', Buffer.from([1, 2, 3]), { outcome: 'skipped', reason: 'not-an-image' });
  await write('dogs/notes.txt', Buffer.from('hello'), { outcome: 'skipped', reason: 'not-an-image' });
  await write('stray.jpg', sharp(red, raw(64, 48, 3)).jpeg().toBuffer(), { outcome: 'skipped', reason: 'outside-class-folder' });
  fs.mkdirSync(path.join(root, 'empty', 'also-empty'), { recursive: true });
  // A symbolic link back to the class folder (a loop) must not be followed forever.
  fs.symlinkSync(path.join(root, 'dogs'), path.join(root, 'dogs', 'loop'));
  return expected;
}
