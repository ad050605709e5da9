export function venvPython(): string | null;
export const NO_PYTHON: string;
