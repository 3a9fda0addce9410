// How presets read wherever they are shown: the quick preset is a smaller network, never to be taken for the paper's.
import type { Preset } from '../../core/api/contract';

export const QUICK_WARNING = "not the paper's model";

export function presetName(preset: Preset | string): string {
  return preset === 'quick' ? `quick (${QUICK_WARNING})` : preset;
}
