// domain/policy/policy.ts: the declarative entitlement policy (zod) mapping identity facts to app bundles.
import { z } from 'zod';

const StringOrList = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]);

/** A condition over identity facts; every key given must hold (AND); `any`/`all`/`not` compose. */
export interface Condition {
  group?: string | string[];
  department?: string | string[];
  title?: string | string[];
  costCenter?: string | string[];
  employeeType?: string | string[];
  division?: string | string[];
  organization?: string | string[];
  manager?: string | string[];
  attribute?: { path: string; equals?: string | string[]; present?: boolean };
  all?: Condition[];
  any?: Condition[];
  not?: Condition;
}

export const ConditionSchema: z.ZodType<Condition> = z.lazy(() =>
  z
    .object({
      group: StringOrList.optional(),
      department: StringOrList.optional(),
      title: StringOrList.optional(),
      costCenter: StringOrList.optional(),
      employeeType: StringOrList.optional(),
      division: StringOrList.optional(),
      organization: StringOrList.optional(),
      manager: StringOrList.optional(),
      attribute: z
        .object({ path: z.string().min(1), equals: StringOrList.optional(), present: z.boolean().optional() })
        .strict()
        .optional(),
      all: z.array(ConditionSchema).optional(),
      any: z.array(ConditionSchema).optional(),
      not: ConditionSchema.optional(),
    })
    .strict(),
);

export const BundleGrantSchema = z
  .object({
    app: z.string().min(1),
    entitlements: z.array(z.string().min(1)).default([]),
  })
  .strict();

export const PolicyRuleSchema = z
  .object({
    name: z.string().min(1),
    when: ConditionSchema.default({}),
    grant: z.array(BundleGrantSchema).min(1),
  })
  .strict();

export const AppPolicySchema = z
  .object({
    /** On a permanent grant failure: undo this run's grants ('rollback') or keep what succeeded ('keep'). */
    onGrantFailure: z.enum(['rollback', 'keep']).default('rollback'),
  })
  .strict();

export const PolicySchema = z
  .object({
    /** Apps every active identity gets an account in, with no entitlements: 'all' (the default with no policy) or names. */
    baseline: z.union([z.literal('all'), z.array(z.string().min(1))]).default([]),
    rules: z.array(PolicyRuleSchema).default([]),
    apps: z.record(z.string(), AppPolicySchema).default({}),
  })
  .strict();

export type Policy = z.output<typeof PolicySchema>;
export type PolicyRule = z.output<typeof PolicyRuleSchema>;

/** What applies when a directory has no policy stored: every app, no entitlements (the first issue's behaviour). */
export const DEFAULT_POLICY: Policy = { baseline: 'all', rules: [], apps: {} };

export function parsePolicy(input: unknown): Policy {
  return PolicySchema.parse(input);
}
