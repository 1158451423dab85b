// A schema that changes only with notice: schema.graphql compared with the
// last released schema (schema/released/<version>.graphql) by
// @graphql-inspector/core; every breaking or dangerous change must be
// listed, by its path in backticks (`Ticket.foo`, `TimelineEventKind.NEW`),
// in CHANGELOG.md above the last released version's section; a removed
// field or enum value must have been deprecated in the released schema with
// a reason saying "removal after <YYYY-MM-DD>", and that date passed; every
// deprecation says when its removal may come.
import { buildSchema, isEnumType, isInputObjectType, isInterfaceType, isObjectType, type GraphQLSchema } from 'graphql';
import { ChangeType, CriticalityLevel, diff, type Change } from '@graphql-inspector/core';

export const REMOVAL_AFTER = /removal after (\d{4}-\d{2}-\d{2})/;

export interface Problem {
  path: string;
  message: string;
}

/** The version headings of a changelog (`## 1.2.0 (2026-12-06)`, `## Unreleased`), in order. */
const HEADING = /^## +(.+?)\s*$/gm;

/**
 * Paths the changelog names (in backticks) above the section of
 * `released`, the last released version: the changes still to be released.
 */
export function pendingPaths(changelog: string, released: string): Set<string> {
  const sections: { title: string; body: string }[] = [];
  const heads = [...changelog.matchAll(HEADING)];
  heads.forEach((h, i) =>
    sections.push({
      title: h[1],
      body: changelog.slice(h.index! + h[0].length, heads[i + 1]?.index ?? changelog.length),
    }),
  );
  const paths = new Set<string>();
  for (const s of sections) {
    if (s.title.split(/\s/)[0] === released) break;
    for (const m of s.body.matchAll(/`([A-Za-z_][\w.]*)`/g)) paths.add(m[1]);
  }
  return paths;
}

/** Listing a type (or field) covers its members: `Ticket` covers `Ticket.foo`. */
const listed = (paths: Set<string>, path: string): boolean => {
  for (let p = path; p; p = p.includes('.') ? p.slice(0, p.lastIndexOf('.')) : '') if (paths.has(p)) return true;
  return false;
};

/** Every deprecation of a schema: path and reason. */
export function deprecations(schema: GraphQLSchema): { path: string; reason: string }[] {
  const out: { path: string; reason: string }[] = [];
  for (const type of Object.values(schema.getTypeMap())) {
    if (type.name.startsWith('__')) continue;
    if (isObjectType(type) || isInterfaceType(type) || isInputObjectType(type)) {
      for (const field of Object.values(type.getFields())) {
        if (field.deprecationReason) out.push({ path: `${type.name}.${field.name}`, reason: field.deprecationReason });
        for (const arg of 'args' in field ? field.args : [])
          if (arg.deprecationReason)
            out.push({ path: `${type.name}.${field.name}.${arg.name}`, reason: arg.deprecationReason });
      }
    }
    if (isEnumType(type))
      for (const v of type.getValues())
        if (v.deprecationReason) out.push({ path: `${type.name}.${v.name}`, reason: v.deprecationReason });
  }
  return out;
}

const REMOVALS: ReadonlySet<string> = new Set([
  ChangeType.FieldRemoved,
  ChangeType.EnumValueRemoved,
  ChangeType.InputFieldRemoved,
]);

/**
 * What keeps `current` from following `released` with the changelog as it
 * is: unlisted breaking or dangerous changes, removals without a passed
 * deprecation, deprecations without a removal date. Empty: all is well.
 */
export async function schemaChangeProblems(
  releasedSdl: string,
  currentSdl: string,
  changelog: string,
  releasedVersion: string,
  today = new Date().toISOString().slice(0, 10),
): Promise<Problem[]> {
  const released = buildSchema(releasedSdl);
  const current = buildSchema(currentSdl);
  const pending = pendingPaths(changelog, releasedVersion);
  const problems: Problem[] = [];
  const changes: Change[] = await diff(released, current);
  const wasDeprecated = new Map(deprecations(released).map((d) => [d.path, d.reason]));
  for (const change of changes) {
    const level = change.criticality.level;
    if (level === CriticalityLevel.NonBreaking) continue;
    const path = change.path ?? '';
    if (!listed(pending, path))
      problems.push({
        path,
        message: `${level === CriticalityLevel.Breaking ? 'breaking' : 'dangerous'} change not in CHANGELOG.md: ${change.message} (list \`${path}\` under the next version)`,
      });
    if (REMOVALS.has(change.type)) {
      const date = REMOVAL_AFTER.exec(wasDeprecated.get(path) ?? '')?.[1];
      if (!date)
        problems.push({
          path,
          message: `${path} was removed without being deprecated first in ${releasedVersion} (@deprecated(reason: "... removal after <YYYY-MM-DD>"))`,
        });
      else if (date >= today)
        problems.push({ path, message: `${path} was removed before its announced date (removal after ${date})` });
    }
  }
  for (const d of deprecations(current)) {
    if (!REMOVAL_AFTER.test(d.reason) && !wasDeprecated.has(d.path))
      problems.push({
        path: d.path,
        message: `${d.path} is deprecated without a date: say "removal after <YYYY-MM-DD>" in its reason`,
      });
  }
  return problems;
}

/** The highest version among released snapshot names (`1.0.0.graphql`). */
export function lastVersion(files: string[]): string | undefined {
  const versions = files.map((f) => /^(\d+\.\d+\.\d+)\.graphql$/.exec(f)?.[1]).filter((v): v is string => Boolean(v));
  const key = (v: string) => v.split('.').map(Number);
  return versions
    .sort((a, b) => {
      const [x, y] = [key(a), key(b)];
      return x[0] - y[0] || x[1] - y[1] || x[2] - y[2];
    })
    .at(-1);
}
