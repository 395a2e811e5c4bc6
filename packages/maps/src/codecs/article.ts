/**
 * `name` with its indefinite article, as it is read aloud: a codec name that starts with a
 * letter and a digit is read letter by letter (`an i32`, `an f64`, `a u64`, `a be16`), any
 * other by its first letter (`an object`, `a u64AsNumber` stays `a`: `u` reads "you").
 */
export function withArticle(name: string): string {
  const spelled = /^[a-z]\d/i.test(name);
  const vowel = spelled ? /^[aefhilmnorsx]/i.test(name) : /^[aeio]/i.test(name);
  return `${vowel ? 'an' : 'a'} ${name}`;
}
