/**
 * A compressed-sparse-row matrix: row i's non-zeros are `indices[indptr[i]..indptr[i+1])` with `data` alongside.
 * Column indices within a row are strictly increasing.
 */
export interface Csr {
  readonly rows: number;
  readonly cols: number;
  readonly indptr: Int32Array;
  readonly indices: Int32Array;
  readonly data: Float64Array;
}
