export const placeholder = 'lambdas';
