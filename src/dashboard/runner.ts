/**
 * The scenario player's simulator, bundled for the page (assets/runner.js, built from the compiled
 * core so the browser build of every `#platform` module is taken): a demo scenario run in virtual
 * time inside the browser, recorded as the dashboard's messages.
 */
import { findScenario } from '../cli/demo/scenarios.js';
import type { PageRunner, RecordedRun } from './protocol.js';
import { recordRun } from './recorded-run.js';

export const run: PageRunner['run'] = async (scenario, o): Promise<RecordedRun | string> => {
  const sc = findScenario(scenario);
  if (!sc) return `unknown scenario "${scenario}"`;
  return recordRun(sc, o);
};
