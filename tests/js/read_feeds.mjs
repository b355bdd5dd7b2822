// Read feed files with real JavaScript feed parsers and print, as JSON, what each one
// saw for every item: { "<file>": { "<client>": { "items": [...] } | { "error": "..." } } }.
//
//   node tests/js/read_feeds.mjs FILE...
//
// Each item is normalised to { id, title, link, published, authors, categories, image,
// html }; a field is null when the client does not expose it for that format.
// tests/test_clients.py compares these with what the records say. Nothing here corrects
// a client: each value is what the library returned, picked from where the library puts
// it (its documented result fields, or its documented hook for extra fields).

import { readFileSync } from "node:fs";
import { extractFromJson, extractFromXml } from "@extractus/feed-extractor";
import { parseFeed } from "feedsmith";
import Parser from "rss-parser";

const asArray = (value) => (value === undefined || value === null ? [] : Array.isArray(value) ? value : [value]);
const iso = (value) => {
  if (value === undefined || value === null || value === "") return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? `invalid: ${value}` : date.toISOString();
};
const text = (value) => (value && typeof value === "object" ? value["#text"] ?? value._ ?? value.value ?? null : value ?? null);

// -- rss-parser (RSS 2.0 and Atom; xml2js): no JSON Feed ------------------------------------
const rssParser = new Parser({
  customFields: {
    item: [
      ["media:thumbnail", "mediaThumbnail"],
      ["category", "atomCategories", { keepArray: true }],
    ],
  },
});

async function readRssParser(source, format) {
  if (format === "json") return null;
  const feed = await rssParser.parseString(source);
  return feed.items.map((item) => ({
    id: item.guid ?? item.id ?? null,
    title: item.title ?? null,
    link: item.link ?? null,
    published: iso(item.isoDate),
    authors: asArray(item.creator ?? item.author),
    categories: format === "atom"
      ? asArray(item.atomCategories).map((c) => c.$?.term ?? null)
      : asArray(item.categories).map(text),
    image: item.mediaThumbnail?.$?.url ?? null,
    html: (format === "atom" ? item.content : item["content:encoded"]) ?? null,
  }));
}

// -- @extractus/feed-extractor (RSS, Atom, JSON Feed; fast-xml-parser) ---------------------
// Its normalised entries carry id, title, link, published and a plain description. The
// other fields come through its getExtraEntryFields hook, which hands over the raw parse:
// for XML that parse is asked to decode character references (xmlParserOptions
// htmlEntities), because fast-xml-parser leaves &#x26; / &#x3C; undecoded otherwise. For
// JSON Feed the raw entry is just the JSON object, so those fields count as not exposed.
function readFeedExtractor(source, format) {
  const options = { descriptionMaxLen: 0 };
  if (format === "json") {
    return extractFromJson(source, options).entries.map((e) => ({
      id: e.id ?? null, title: e.title ?? null, link: e.link ?? null,
      published: iso(e.published), authors: null, categories: null, image: null, html: null,
    }));
  }
  const normalised = extractFromXml(source, options).entries;
  const extra = extractFromXml(source, {
    ...options,
    xmlParserOptions: { htmlEntities: true },
    getExtraEntryFields: (raw) => ({ raw }),
  }).entries;
  return normalised.map((e, i) => {
    const raw = extra[i].raw;
    return {
      id: e.id ?? null,
      title: e.title ?? null,
      link: e.link ?? null,
      published: iso(e.published),
      authors: format === "atom" ? asArray(raw.author).map((a) => text(a.name)) : asArray(raw["dc:creator"]).map(text),
      categories: asArray(raw.category).map((c) => (format === "atom" ? c["@_term"] : text(c))),
      image: raw["media:thumbnail"]?.["@_url"] ?? null,
      html: text(format === "atom" ? raw.content : raw["content:encoded"]),
    };
  });
}

// -- feedsmith (RSS, Atom, JSON Feed; fast-xml-parser plus its own decoding) -----------------
function readFeedsmith(source, format) {
  const { format: found, feed } = parseFeed(source);
  if (found !== format) throw new Error(`detected ${found}, expected ${format}`);
  if (format === "json") {
    return feed.items.map((item) => ({
      id: item.id ?? null, title: item.title ?? null, link: item.url ?? null,
      published: iso(item.date_published),
      authors: asArray(item.authors ?? item.author).map((a) => a.name ?? null),
      categories: asArray(item.tags), image: item.image ?? null, html: item.content_html ?? null,
    }));
  }
  if (format === "atom") {
    return asArray(feed.entries).map((entry) => ({
      id: entry.id ?? null,
      title: text(entry.title),
      link: asArray(entry.links).find((l) => !l.rel || l.rel === "alternate")?.href ?? null,
      published: iso(entry.published),
      authors: asArray(entry.authors).map((a) => a.name ?? null),
      categories: asArray(entry.categories).map((c) => c.term ?? null),
      image: entry.media?.thumbnails?.[0]?.url ?? null,
      html: text(entry.content),
    }));
  }
  return asArray(feed.items).map((item) => ({
    id: text(item.guid),
    title: item.title ?? null,
    link: item.link ?? null,
    published: iso(item.pubDate),
    authors: asArray(item.dc?.creators ?? item.dc?.creator ?? item.authors),
    categories: asArray(item.categories).map((c) => c.name ?? null),
    image: item.media?.thumbnails?.[0]?.url ?? null,
    html: item.content?.encoded ?? null,
  }));
}

const CLIENTS = {
  "rss-parser": readRssParser,
  "feed-extractor": readFeedExtractor,
  feedsmith: readFeedsmith,
};

const formatOf = (path) => (path.endsWith(".atom") ? "atom" : path.endsWith(".rss") ? "rss" : "json");

const out = {};
for (const path of process.argv.slice(2)) {
  const source = readFileSync(path, "utf8");
  const format = formatOf(path);
  out[path] = {};
  for (const [name, read] of Object.entries(CLIENTS)) {
    try {
      const items = await read(source, format);
      if (items !== null) out[path][name] = { items };
    } catch (error) {
      out[path][name] = { error: String(error?.stack ?? error) };
    }
  }
}
process.stdout.write(JSON.stringify(out));
