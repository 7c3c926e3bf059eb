/** The alias the inference function serves: Promote moves it, a failed smoke test rolls it back. */
export const PRODUCTION_ALIAS = 'production';
/** The alias Register points at the version an execution is about to have reviewed. */
export const CANDIDATE_ALIAS = 'candidate';
