import { useEffect, useRef } from 'react';
import type { GradCamMap } from '../../protocol';

/** Blue → green → yellow → red, like fast.ai's (matplotlib) heat maps. */
function heatColour(v: number): [number, number, number] {
  const t = Math.min(1, Math.max(0, v));
  const r = Math.round(255 * Math.min(1, Math.max(0, 1.5 - Math.abs(4 * t - 3))));
  const g = Math.round(255 * Math.min(1, Math.max(0, 1.5 - Math.abs(4 * t - 2))));
  const b = Math.round(255 * Math.min(1, Math.max(0, 1.5 - Math.abs(4 * t - 1))));
  return [r, g, b];
}

/**
 * A Grad-CAM map drawn at its own resolution and stretched over the image by CSS (the browser
 * interpolates); the image shows the same centre crop the model saw (object-fit: cover).
 */
export function HeatOverlay({ map }: { map: GradCamMap }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const ctx = canvas.current?.getContext('2d');
    if (!ctx) return;
    const image = ctx.createImageData(map.width, map.height);
    map.heat.forEach((v, i) => {
      const [r, g, b] = heatColour(v);
      image.data.set([r, g, b, 255], i * 4);
    });
    ctx.putImageData(image, 0, 0);
  }, [map]);
  return (
    <canvas
      ref={canvas}
      width={map.width}
      height={map.height}
      data-testid="grad-cam"
      data-max={Math.max(...map.heat).toFixed(3)}
      aria-label="Grad-CAM heat map"
    />
  );
}
