export { applicableRules, DEFAULT_LADDER, sweepEscalations, type EscalationRule } from './sweep';
export * from './rules';
export { parseRuleInput, resolveScopeCodes, type ScopeIds } from './rule-input';
