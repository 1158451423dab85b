// What a delivery attempt came to: the dispatcher tells the composition
// root each one (DispatcherOptions.onOutcome), which has the metrics count them.
export type DeliveryOutcome = 'delivered' | 'failed_attempt' | 'disabled' | 'refused';
