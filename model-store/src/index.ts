export const placeholder = 'model-store';
