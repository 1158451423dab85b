// What erased data is replaced with. Fixed strings, so an integrator can
// recognise an erased value, and none of them passes the email check: a
// public lookup can never name an erased ticket.
export const ERASED_TEXT = '[erased]';
export const ERASED_EMAIL = '[erased]';
