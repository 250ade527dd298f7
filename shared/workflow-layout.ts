// How a UI-format workflow (the graph people save in ComfyUI) is laid out for the form: the person's
// titles, groups as sections in their canvas order, widgets in display order, subgraph instances
// with their promoted widgets, and which nodes are bypassed or muted. Made by the engine's converter
// (electron/engine/workflows/ui/) beside the API prompt; the window builds its form from it.

/** A node's mode as ComfyUI saves it: 0 runs, 2 muted ("never"), 4 bypassed. */
export type NodeMode = 'always' | 'mute' | 'bypass';

export interface LayoutWidget {
  /** The input's name as object_info declares it (the API prompt's key). */
  input: string;
  /** Where its value is in the API prompt: `API_NODE_ID.INPUT` (e.g. `75:3.seed`). */
  key: string;
  /** The name the person sees when it differs from `input` (a promoted widget's label). */
  label?: string;
  /**
   * Other prompt inputs that take the same value (`API_NODE_ID.INPUT`): a PrimitiveNode or a
   * subgraph's widget feeds several. An edit sets them all, as ComfyUI's editor does.
   */
  also?: string[];
}

export interface LayoutNode {
  /** The node in the UI graph: its id, or `instance:inner` inside a subgraph (to switch its mode). */
  uiId: string;
  /** Its id in the API prompt; null when it is not sent (muted, bypassed, or virtual). */
  apiId: string | null;
  /** The title the person gave it, else the node type's display name. */
  title: string;
  classType: string;
  mode: NodeMode;
  /** The widgets the form shows, in the node's display order. */
  widgets: LayoutWidget[];
  /** For the nodes inside a subgraph: the instance (its uiId) they belong to. */
  parent?: string;
}

export interface LayoutSection {
  /** The group's title; null for the nodes in no group. */
  title: string | null;
  /** The group's colour as saved (e.g. "#3f789e"), if any. */
  color?: string;
  nodes: LayoutNode[];
}

export interface WorkflowLayout {
  /** Groups in canvas order (top to bottom, then left to right), the ungrouped nodes last. */
  sections: LayoutSection[];
}
