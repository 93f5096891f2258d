/**
 * `mlsight registry …` and `mlsight ab …`: the model registry and the A/B analysis on the command line, over the
 * same core the extension uses. JSON on stdout with --format json; messages on stderr. Exit codes: 0 success,
 * 1 error, 2 usage error, 3 the gate or the A/B verdict says no (promote refused; ab --fail-unless-promote).
 */
import * as fs from 'fs';
import * as path from 'path';
import { Logger } from './core/log';
import { rebuildFromWorkspace } from './core/rebuild';
import { GateResult, PromotionTarget, guessDirection } from './core/registry/gate';
import { GateFailedError } from './core/registry/promotion';
import { Registry } from './core/registry/registry';
import { RegistryError } from './core/registry/registryCore';
import { describeChain, readAuditLog } from './core/registry/auditLog';
import { ModelSettings } from './core/registry/state';
import { listRegistryModels, readCanary, readSettings, registryHistory } from './core/registry/views';
import { ingestWorkspace } from './core/ingest/scan';
import { ingestMlsightRuns } from './core/ingest/mlsightRunLog';
import { WorkspaceStore } from './core/store/store';
import { abReport, promoteAb } from './cliAb';
import { Out, UsageError, direction, fail, fmtNum, int, json, num, one, parseArgs } from './cliRegistryArgs';

async function withRegistry<T>(
  folderArg: string | undefined,
  log: Logger,
  fn: (r: Registry, store: WorkspaceStore, folder: string) => Promise<T>,
): Promise<T> {
  const folder = path.resolve(folderArg ?? '.');
  if (!fs.existsSync(folder) || !fs.statSync(folder).isDirectory()) {
    throw new RegistryError(`${folder} is not a folder`);
  }
  const store = await WorkspaceStore.open({
    folder,
    log,
    rebuild: s => rebuildFromWorkspace(s, log).then(() => undefined),
  });
  try {
    if (!store.readOnly) {
      await ingestMlsightRuns(store, log);
      try {
        await ingestWorkspace(store, log);
      } catch (e) {
        log.warn(`MLflow/TensorBoard runs not read: ${e instanceof Error ? e.message : e}`);
      }
    }
    const registry = new Registry({ store, log });
    await registry.sync();
    const chain = (await readAuditLog(folder)).chain;
    if (chain?.state === 'broken') {
      log.warn(describeChain(chain)!);
    }
    if (!store.readOnly) {
      // versions asked for by runs with log_model(..., registered_name=...), each registered once
      const req = await registry.registerRequested();
      for (const f of req.failed) {
        log.warn(`Could not register ${JSON.stringify(f.request.model)} from run ${f.request.runId}: ${f.message}`);
      }
    }
    return await fn(registry, store, folder);
  } finally {
    await store.close();
  }
}

export async function registryMain(argv: string[], out: Out, err: Out, log: Logger): Promise<number> {
  try {
    const [sub, ...rest] = argv;
    const a = parseArgs(rest);
    const asJson = one(a, 'format') === 'json';
    const p = a.positional;
    const folder = one(a, 'folder');
    const print = (v: unknown, text: () => void) => {
      if (asJson) {
        out(json(v));
      } else {
        text();
      }
    };
    switch (sub) {
      case 'list':
        return await withRegistry(folder ?? p[0], log, async (_r, store) => {
          const models = store.read(db => listRegistryModels(db));
          print({ models }, () => {
            if (!models.length) {
              out('no registered models\n');
            }
            for (const m of models) {
              out(
                `${m.name}  (${m.versionCount} version${m.versionCount === 1 ? '' : 's'}${m.source !== 'mlsight' ? `, ${m.source}` : ''})  ${Object.entries(
                  m.aliases,
                )
                  .map(([k, v]) => `@${k}→v${v}`)
                  .join(' ')}\n`,
              );
            }
          });
          return 0;
        });
      case 'show': {
        if (p.length !== 1) {
          throw new UsageError('registry show <model>');
        }
        return await withRegistry(folder, log, async r => {
          const d = r.model(p[0]);
          if (!d) {
            throw new RegistryError(`There is no registered model named ${JSON.stringify(p[0])}.`);
          }
          print(d, () => {
            out(`${d.name} (${d.backend})${d.description ? ` — ${d.description}` : ''}\n`);
            out(
              `aliases: ${
                Object.entries(d.aliases)
                  .map(([k, v]) => `@${k}→v${v}`)
                  .join(' ') || 'none'
              }\n`,
            );
            if (d.settings.primaryMetric) {
              out(
                `gate: ${d.settings.primaryMetric} (${d.settings.direction ?? guessDirection(d.settings.primaryMetric)})${d.settings.minImprovement ? `, by ≥ ${d.settings.minImprovement}${d.settings.relativeImprovement ? ' relative' : ''}` : ''}\n`,
              );
            }
            for (const v of d.versions) {
              out(
                `  v${v.version}  ${v.stage}${v.aliases.length ? `  ${v.aliases.map(x => `@${x}`).join(' ')}` : ''}  run ${v.runName ?? v.runId ?? '—'}${v.gitCommit ? `  commit ${v.gitCommit.slice(0, 8)}` : ''}\n`,
              );
              const ms = Object.entries(v.metrics)
                .slice(0, 8)
                .map(([k, x]) => `${k}=${fmtNum(x)}`)
                .join(' ');
              if (ms) {
                out(`      ${ms}\n`);
              }
            }
          });
          return 0;
        });
      }
      case 'register': {
        if (p.length !== 1) {
          throw new UsageError('registry register <model> --run <run id>');
        }
        const runId = one(a, 'run');
        if (!runId) {
          throw new UsageError('--run <run id> is required');
        }
        const tags: Record<string, string> = {};
        for (const t of a.opts.get('tag') ?? []) {
          const i = t.indexOf('=');
          if (i <= 0) {
            throw new UsageError(`--tag takes key=value (got ${JSON.stringify(t)})`);
          }
          tags[t.slice(0, i)] = t.slice(i + 1);
        }
        return await withRegistry(folder, log, async r => {
          const res = await r.registerVersion({
            model: p[0],
            runId,
            artifactPath: one(a, 'artifact'),
            description: one(a, 'description'),
            tags,
            aliases: a.opts.get('alias'),
            reason: one(a, 'reason'),
          });
          print({ model: p[0], version: res.version, event: res.event }, () =>
            out(`registered ${p[0]} v${res.version}\n`),
          );
          return 0;
        });
      }
      case 'alias': {
        const [op, model, alias, version] = p;
        if (op === 'set' && p.length === 4) {
          const v = int(version, 'the version');
          return await withRegistry(folder, log, async r => {
            const e = await r.setAlias(model, alias, v, one(a, 'reason'));
            print({ changed: !!e, event: e ?? null }, () =>
              out(
                e
                  ? `@${alias} → v${v} (was ${e.from ? `v${e.from}` : 'unset'})\n`
                  : `@${alias} already points at v${v}\n`,
              ),
            );
            return 0;
          });
        }
        if (op === 'delete' && p.length === 3) {
          return await withRegistry(folder, log, async r => {
            const e = await r.deleteAlias(model, alias, one(a, 'reason'));
            print({ changed: !!e, event: e ?? null }, () => out(`@${alias} removed (was v${e?.from})\n`));
            return 0;
          });
        }
        throw new UsageError('registry alias set <model> <alias> <version> | registry alias delete <model> <alias>');
      }
      case 'stage': {
        if (p.length !== 3) {
          throw new UsageError('registry stage <model> <version> <stage>');
        }
        const v = int(p[1], 'the version');
        return await withRegistry(folder, log, async r => {
          const e = await r.setStage(p[0], v, p[2], {
            archiveExisting: a.flags.has('archive-existing'),
            reason: one(a, 'reason'),
          });
          print({ changed: !!e, event: e ?? null }, () =>
            out(
              e
                ? `v${v}: ${e.from} → ${e.to}${(e.evidence?.archived as number[] | undefined)?.length ? ` (archived ${(e.evidence!.archived as number[]).map(x => `v${x}`).join(', ')})` : ''}\n`
                : `v${v} already is in ${p[2]}\n`,
            ),
          );
          return 0;
        });
      }
      case 'config': {
        if (p.length !== 1) {
          throw new UsageError('registry config <model> [options]');
        }
        return await withRegistry(folder, log, async (r, store) => {
          const cur = store.read(db => readSettings(db, p[0]));
          const next: ModelSettings = { ...cur };
          const set = <K extends keyof ModelSettings>(k: K, v: ModelSettings[K] | undefined) => {
            if (v !== undefined) {
              next[k] = v;
            }
          };
          set('primaryMetric', one(a, 'metric'));
          set('direction', direction(one(a, 'direction')));
          set('minImprovement', num(a, 'min-improvement'));
          if (a.flags.has('relative')) {
            next.relativeImprovement = true;
          }
          if (a.flags.has('require-ab')) {
            next.requireAb = true;
          }
          const g = a.opts.get('guardrail');
          if (g) {
            next.guardrails = g.map(x => {
              const [metric, d] = x.split(':');
              return { metric, direction: direction(d) ?? guessDirection(metric) };
            });
          }
          const prot = one(a, 'protect');
          if (prot !== undefined) {
            next.protectedAliases = prot
              .split(',')
              .map(x => x.trim())
              .filter(Boolean);
          }
          set('alpha', num(a, 'alpha'));
          set('power', num(a, 'power'));
          set('targetLift', num(a, 'target-lift'));
          set('challengerShare', num(a, 'share'));
          const seq = one(a, 'sequential');
          if (seq !== undefined) {
            if (!['none', 'gavi', 'msprt'].includes(seq)) {
              throw new UsageError('--sequential must be none, gavi or msprt');
            }
            next.sequential = seq as ModelSettings['sequential'];
          }
          const e = await r.configure(p[0], next);
          print({ changed: !!e, settings: next }, () => out(`${p[0]}: ${JSON.stringify(next)}\n`));
          return 0;
        });
      }
      case 'promote': {
        if (p.length !== 2) {
          throw new UsageError('registry promote <model> <version> --reason <text>');
        }
        const v = int(p[1], 'the version');
        const reason = one(a, 'reason');
        if (!reason) {
          throw new UsageError('--reason <text> is required (it is recorded in the audit log)');
        }
        const stage = one(a, 'stage');
        const alias = one(a, 'alias');
        if (stage && alias) {
          throw new UsageError('give --alias or --stage, not both');
        }
        let target: PromotionTarget = { alias: alias ?? 'champion' };
        if (stage) {
          const s = ['Staging', 'Production'].find(x => x.toLowerCase() === stage.toLowerCase());
          if (!s) {
            throw new UsageError('--stage must be Staging or Production');
          }
          target = { stage: s as 'Staging' | 'Production', archiveExisting: a.flags.has('archive-existing') };
        }
        return await withRegistry(folder, log, async (r, store) => {
          const settings = store.read(db => readSettings(db, p[0]));
          const canary = store.read(db => readCanary(db, p[0]));
          const ab = promoteAb(a, r, store, folder, p[0], v, target, settings, canary?.share);
          const gateJson = (g: GateResult) => ({
            ...g,
            failed: g.checks.filter(c => !c.ok).map(c => ({ check: c.id, code: c.code, detail: c.detail })),
          });
          try {
            const res = await r.promote({
              model: p[0],
              version: v,
              target,
              reason,
              ab: ab ?? null,
              override: a.flags.has('override'),
            });
            print(
              {
                promoted: true,
                overridden: res.overridden,
                gate: gateJson(res.gate),
                event: res.event,
                ab: ab?.analysis ? abReport(ab.analysis) : null,
                abExcluded: ab?.excluded ?? null,
              },
              () => {
                out(
                  `${p[0]} v${v} is now ${'alias' in target ? `@${target.alias}` : target.stage}${res.overridden ? ' (gate overridden)' : ''}\n`,
                );
                for (const c of res.gate.checks) {
                  out(`  ${c.ok ? 'ok  ' : 'FAIL'} ${c.label}: ${c.detail}${c.ok ? '' : ` [${c.code}]`}\n`);
                }
              },
            );
            return 0;
          } catch (e) {
            if (!(e instanceof GateFailedError)) {
              throw e;
            }
            print(
              {
                promoted: false,
                gate: gateJson(e.gate),
                comparison: {
                  metric: e.comparison.metric,
                  champion: e.comparison.championValue,
                  challenger: e.comparison.challengerValue,
                },
                ab: ab?.analysis ? abReport(ab.analysis) : null,
                abExcluded: ab?.excluded ?? null,
              },
              () => {
                out(`not promoted: the gate failed (use --override with a --reason to promote anyway)\n`);
                for (const c of e.gate.checks) {
                  out(`  ${c.ok ? 'ok  ' : 'FAIL'} ${c.label}: ${c.detail}${c.ok ? '' : ` [${c.code}]`}\n`);
                }
              },
            );
            return 3;
          }
        });
      }
      case 'undo': {
        if (p.length !== 1) {
          throw new UsageError('registry undo <model> --reason <text>');
        }
        const reason = one(a, 'reason');
        if (!reason) {
          throw new UsageError('--reason <text> is required');
        }
        return await withRegistry(folder, log, async r => {
          const e = await r.undoLastPromotion(p[0], reason);
          print({ event: e }, () =>
            out(
              e.alias
                ? `@${e.alias} → ${e.to ? `v${e.to}` : 'unset'} (was v${e.from})\n`
                : `v${e.version}: ${e.from} → ${e.to}\n`,
            ),
          );
          return 0;
        });
      }
      case 'canary': {
        if (p.length !== 1) {
          throw new UsageError('registry canary <model> --version <n> --share <0..1> | registry canary <model> --off');
        }
        const off = a.flags.has('off');
        const version = one(a, 'version');
        const share = num(a, 'share');
        if (off && (version !== undefined || share !== undefined)) {
          throw new UsageError('--off takes no --version or --share');
        }
        if (!off && (version === undefined || share === undefined)) {
          throw new UsageError('registry canary <model> --version <n> --share <0..1> (or --off)');
        }
        if (!off && !(share! > 0 && share! < 1)) {
          throw new UsageError(
            '--share must be between 0 and 1, exclusive (0.05 routes 5 % of the traffic to the challenger)',
          );
        }
        const canary = off ? null : { challenger: int(version, 'the version'), share: share! };
        return await withRegistry(folder, log, async r => {
          const e = await r.setCanary(p[0], canary, one(a, 'reason'));
          print({ changed: !!e, canary, event: e ?? null }, () =>
            out(
              canary
                ? `${p[0]}: canary v${canary.challenger} gets ${(canary.share * 100).toFixed(2).replace(/\.?0+$/, '')} % of the traffic${e ? '' : ' (unchanged)'}\n`
                : `${p[0]}: no canary${e ? '' : ' (there was none)'}\n`,
            ),
          );
          return 0;
        });
      }
      case 'history': {
        if (p.length > 1) {
          throw new UsageError('registry history [model]');
        }
        return await withRegistry(folder, log, async (_r, store, root) => {
          const chain = (await readAuditLog(root)).chain!;
          const unverified = new Set(chain.unverified);
          const h = store
            .read(db => registryHistory(db, p[0]))
            .map(e => ({
              ...e,
              verified: chain.state === 'unchained' || chain.state === 'empty' ? null : !unverified.has(e.id),
            }));
          const warning = describeChain(chain);
          if (warning && chain.state === 'broken') {
            err(`mlsight: warning: ${warning}\n`);
          }
          print(
            {
              events: h,
              chain: {
                state: chain.state,
                firstBad: chain.firstBad ?? null,
                unverified: chain.unverified.length,
                message: warning ?? null,
              },
            },
            () => {
              for (const e of h) {
                out(
                  `${new Date(e.at).toISOString()}  ${e.actor}  ${e.action}  ${e.model}${e.version !== null ? ` v${e.version}` : ''}${e.alias ? ` @${e.alias}` : ''}${e.from !== null || e.to !== null ? `  ${e.from ?? '∅'} → ${e.to ?? '∅'}` : ''}${e.reason ? `  "${e.reason}"` : ''}${e.evidence?.override ? '  [override]' : ''}${unverified.has(e.id) ? '  [UNVERIFIED]' : ''}\n`,
                );
              }
              if (warning && chain.state !== 'broken') {
                out(`(${warning})\n`);
              }
            },
          );
          return 0;
        });
      }
      case 'verify': {
        // the audit log's hash chain: exit 0 when it verifies (or predates the chain), 3 when it is broken
        if (p.length) {
          throw new UsageError('registry verify');
        }
        const root = path.resolve(folder ?? '.');
        const chain = (await readAuditLog(root)).chain!;
        const message =
          describeChain(chain) ??
          (chain.state === 'empty'
            ? 'no audit log yet'
            : `.mlsight/audit.jsonl verifies (${chain.unverified.length} unverified events).`);
        print(
          {
            state: chain.state,
            firstBad: chain.firstBad ?? null,
            unverified: chain.unverified.length,
            unchained: chain.unchained,
            message,
          },
          () => out(`${message}\n`),
        );
        return chain.state === 'broken' ? 3 : 0;
      }
      default:
        throw new UsageError(`unknown registry command ${JSON.stringify(sub ?? '')}`);
    }
  } catch (e) {
    return fail(e, err);
  }
}
