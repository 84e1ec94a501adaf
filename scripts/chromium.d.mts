export function findChromium(): string;
export const CHROMIUM_ARGS: string[];
export function chromiumEnv(): Record<string, string | undefined>;
export function freshUserDataDir(): string;
