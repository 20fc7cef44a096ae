// Frames as pixels in the browser: a gray8 frame ({width, height, data}) to a
// canvas and back, and binary PGM for display (the API parses what is sent).

function canvasOf(width, height) {
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  return canvas;
}

/** A canvas showing a gray8 frame. */
export function canvasOfGray({ width, height, data }) {
  const canvas = canvasOf(width, height);
  const context = canvas.getContext('2d');
  const image = context.createImageData(width, height);
  for (let i = 0; i < width * height; i++) {
    const v = data[i];
    image.data[4 * i] = v;
    image.data[4 * i + 1] = v;
    image.data[4 * i + 2] = v;
    image.data[4 * i + 3] = 255;
  }
  context.putImageData(image, 0, 0);
  return canvas;
}

/** A drawable (bitmap, video) on a canvas of the given size, over white paper. */
export function canvasOfDrawable(drawable, width, height) {
  const canvas = canvasOf(width, height);
  const context = canvas.getContext('2d', { willReadFrequently: true });
  context.fillStyle = '#ffffff';
  context.fillRect(0, 0, width, height);
  context.drawImage(drawable, 0, 0, width, height);
  return canvas;
}

/** The canvas as a gray8 frame (ITU-R BT.601 luma, as the API converts colour). */
export function grayOf(canvas) {
  const { width, height } = canvas;
  const rgba = canvas.getContext('2d', { willReadFrequently: true }).getImageData(0, 0, width, height).data;
  const data = new Uint8Array(width * height);
  for (let i = 0; i < data.length; i++) {
    data[i] = (77 * rgba[4 * i] + 150 * rgba[4 * i + 1] + 29 * rgba[4 * i + 2] + 128) >> 8;
  }
  return { width, height, data };
}

/** A binary PGM (P5) as a gray8 frame, for display only: the API parses what is sent. */
export function parsePgm(bytes) {
  let at = 2;
  const field = () => {
    for (;;) {
      while (at < bytes.length && /\s/.test(String.fromCharCode(bytes[at]))) at++;
      if (bytes[at] !== 0x23 /* # */) break;
      while (at < bytes.length && bytes[at] !== 0x0a) at++;
    }
    const start = at;
    while (at < bytes.length && bytes[at] >= 0x30 && bytes[at] <= 0x39) at++;
    if (at === start) throw new Error('not a binary PGM');
    return Number(new TextDecoder().decode(bytes.subarray(start, at)));
  };
  if (bytes[0] !== 0x50 || bytes[1] !== 0x35) throw new Error('not a binary PGM');
  const width = field(), height = field(), maxval = field();
  at++;
  const wide = maxval > 255;
  const data = new Uint8Array(width * height);
  for (let i = 0; i < data.length; i++) {
    const v = wide ? (bytes[at + 2 * i] << 8) | bytes[at + 2 * i + 1] : bytes[at + i];
    data[i] = Math.round((Math.min(v ?? 0, maxval) * 255) / maxval);
  }
  return { width, height, data };
}
