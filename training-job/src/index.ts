export const placeholder = 'training-job';
