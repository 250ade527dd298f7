// Makes every icon size the installers need from one source image, build/icon.svg:
// build/icon.png (1024, from which electron-builder makes the macOS .icns and the Windows .ico)
// and build/icons/<n>x<n>.png (the Linux set: AppImage and deb take the folder).
// Run after changing the SVG: `node scripts/make-icons.mjs`; the PNGs are committed.
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';

export const ICON_SIZES = [16, 24, 32, 48, 64, 128, 256, 512, 1024];

const root = join(import.meta.dirname, '..');
const svg = readFileSync(join(root, 'build/icon.svg'));
mkdirSync(join(root, 'build/icons'), { recursive: true });

// Rendered once at a high density and scaled down: small sizes stay crisp and consistent.
const master = await sharp(svg, { density: 288 }).resize(1024, 1024).png().toBuffer();
await sharp(master).png({ compressionLevel: 9 }).toFile(join(root, 'build/icon.png'));
for (const size of ICON_SIZES) {
  await sharp(master)
    .resize(size, size, { kernel: 'lanczos3' })
    .png({ compressionLevel: 9 })
    .toFile(join(root, `build/icons/${size}x${size}.png`));
}
console.log(`icons: build/icon.png and ${ICON_SIZES.length} sizes in build/icons/`);
