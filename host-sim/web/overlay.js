// The view of an answer: the frame scaled on the page's canvas, the region the
// model saw, and each detection as a box with its label and score. Boxes are
// solid BOX_COLOUR rectangles on whole canvas pixels, so a test can find exactly
// that colour on a box's edge.

export const BOX_COLOUR = '#ff00ff';
const REGION_COLOUR = '#1f9ad6';
/** A small frame is scaled up by a whole factor to about this many canvas pixels. */
const SMALL_VIEW = 384;
/** A large frame is scaled down to at most this many canvas pixels. */
const LARGE_VIEW = 768;

function viewScale(width, height) {
  const side = Math.max(width, height);
  return side <= SMALL_VIEW ? Math.max(1, Math.round(SMALL_VIEW / side)) : Math.min(1, LARGE_VIEW / side);
}

/** Size the view for a frame and draw it (or a blank page when there is no preview). */
function drawFrame(canvas, frame, width, height) {
  const scale = viewScale(width, height);
  canvas.width = Math.max(1, Math.round(width * scale));
  canvas.height = Math.max(1, Math.round(height * scale));
  canvas.classList.toggle('pixelated', scale > 1);
  const context = canvas.getContext('2d', { willReadFrequently: true });
  // a 96x96 frame scaled up must keep its pixels sharp; a photo scaled down should not alias
  context.imageSmoothingEnabled = scale < 1;
  if (frame) {
    context.drawImage(frame, 0, 0, canvas.width, canvas.height);
  } else {
    context.fillStyle = '#e6e8ec';
    context.fillRect(0, 0, canvas.width, canvas.height);
    context.fillStyle = '#6b7280';
    context.font = '14px system-ui, sans-serif';
    context.textAlign = 'center';
    context.fillText('(the browser cannot show this image)', canvas.width / 2, canvas.height / 2);
    context.textAlign = 'start';
  }
  return context;
}

/** A rectangle outline of thickness t made of filled rectangles, so every pixel is exactly the colour. */
function outline(context, x, y, w, h, t) {
  context.fillRect(x, y, w, t);
  context.fillRect(x, y + h - t, w, t);
  context.fillRect(x, y, t, h);
  context.fillRect(x + w - t, y, t, h);
}

/** Dim what the model did not see (fit=crop on a non-square frame) and outline what it did. */
function drawRegion(context, region, sx, sy) {
  const { width, height } = context.canvas;
  const x0 = Math.round(region.x * sx), y0 = Math.round(region.y * sy);
  const x1 = Math.round((region.x + region.w) * sx), y1 = Math.round((region.y + region.h) * sy);
  if (x0 <= 0 && y0 <= 0 && x1 >= width && y1 >= height) return;
  context.fillStyle = 'rgba(15, 23, 42, 0.45)';
  context.fillRect(0, 0, width, y0);
  context.fillRect(0, y1, width, height - y1);
  context.fillRect(0, y0, x0, y1 - y0);
  context.fillRect(x1, y0, width - x1, y1 - y0);
  context.setLineDash([6, 4]);
  context.strokeStyle = REGION_COLOUR;
  context.lineWidth = 2;
  context.strokeRect(x0 + 1, y0 + 1, x1 - x0 - 2, y1 - y0 - 2);
  context.setLineDash([]);
}

/** Each detection as a box with a tag "label score%" above it (below when there is no room). */
function drawDetections(context, detections, sx, sy) {
  const { width, height } = context.canvas;
  const t = Math.max(2, Math.round(Math.min(width, height) / 192));
  const fontPx = Math.max(11, 6 * t);
  context.font = `600 ${fontPx}px system-ui, sans-serif`;
  context.textBaseline = 'top';
  for (const d of detections) {
    const x0 = Math.round(d.x * sx), y0 = Math.round(d.y * sy);
    const x1 = Math.round((d.x + d.w) * sx), y1 = Math.round((d.y + d.h) * sy);
    context.fillStyle = BOX_COLOUR;
    outline(context, x0, y0, Math.max(x1 - x0, 2 * t), Math.max(y1 - y0, 2 * t), t);
    const tag = `${d.label} ${Math.round(d.score * 100)}%`;
    const tagW = Math.ceil(context.measureText(tag).width) + 8, tagH = fontPx + 4;
    const tagX = Math.min(Math.max(0, x0), width - tagW);
    const tagY = y0 - tagH >= 0 ? y0 - tagH : Math.min(y1, height - tagH);
    context.fillRect(tagX, tagY, tagW, tagH);
    context.fillStyle = '#ffffff';
    context.fillText(tag, tagX + 4, tagY + 2);
  }
}

/** Draw the answer to POST /detect over `frame` (a canvas of the frame as sent, or null). */
export function drawAnswer(canvas, frame, answer) {
  const { width, height } = answer.frame;
  const context = drawFrame(canvas, frame, width, height);
  const sx = canvas.width / width, sy = canvas.height / height;
  drawRegion(context, answer.region, sx, sy);
  drawDetections(context, answer.detections, sx, sy);
}

/** Draw a frame without an answer. */
export function drawFrameOnly(canvas, frame) {
  drawFrame(canvas, frame, frame.width, frame.height);
}

/** An empty view with a line of text, before any answer or when there is nothing to show. */
export function drawPlaceholder(canvas, text) {
  canvas.width = SMALL_VIEW;
  canvas.height = SMALL_VIEW;
  canvas.classList.remove('pixelated');
  const context = canvas.getContext('2d', { willReadFrequently: true });
  context.fillStyle = '#f3f4f6';
  context.fillRect(0, 0, canvas.width, canvas.height);
  context.strokeStyle = '#d1d5db';
  context.setLineDash([8, 6]);
  context.lineWidth = 2;
  context.strokeRect(12, 12, canvas.width - 24, canvas.height - 24);
  context.setLineDash([]);
  context.fillStyle = '#6b7280';
  context.font = '16px system-ui, sans-serif';
  context.textAlign = 'center';
  context.textBaseline = 'middle';
  context.fillText(text, canvas.width / 2, canvas.height / 2);
  context.textAlign = 'start';
  context.textBaseline = 'alphabetic';
}
