// The detection layer: rules as data (YAML validated by zod), compiled once and run over guard events.
export { MAX_EVIDENCE, SEVERITIES, type Alert, type Severity } from './alert.js';
export { RuleEngine, type RuleEngineOptions } from './rule-engine.js';
export { builtinRulesDir, loadBuiltinRules, loadRuleFiles, loadRules, type LoadResult } from './rule-loader.js';
export {
  RuleFileSchema,
  RuleSchema,
  type CompiledRule,
  type Condition,
  type FieldTest,
  type Rule,
  type RuleFile,
} from './rule-schema.js';
export { parseEventLines, replayEvents, testRuleFile, type RuleTestResult } from './rule-test.js';
export { builtinRuleTable, replaceRuleTable, ruleTable } from './rule-docs.js';
