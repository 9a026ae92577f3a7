export const packageName = 'owlpost'
