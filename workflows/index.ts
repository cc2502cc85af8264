// workflows/index.ts: the workflow bundle's entry point.
export { identityWorkflow } from './identity';
export { reconcileAppWorkflow } from './reconcile';
export { groupFeedWorkflow } from './group-feed';
