// Text put into HTML or SVG markup (the sweep grid's labels, the upgrade window's page): every
// character that could start or end markup, as a character reference.
export function escapeMarkup(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
