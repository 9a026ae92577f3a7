export const packageName = 'e2e'
