/** The store's public surface: the contract types and {@link openStore}. Drivers stay inside. */
export type * from './contract.js'
export { openStore, type OpenStoreOptions } from './open.js'
