//! The tantivy schema and its version.
//!
//! Text fields are filled with space-separated tokens already produced by
//! [`crate::analysis::views`], so no custom tokenizer has to be registered before an index can be
//! opened: the schema names only tantivy's built-in `raw` and `whitespace` tokenizers.

use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions,
};

/// Bumped whenever the schema or the analysis changes in a way that needs a rebuild.
pub const SCHEMA_VERSION: u32 = 6;

/// Handles to every field of the schema.
#[derive(Debug, Clone)]
pub struct Fields {
    pub id: Field,
    pub record_type: Field,
    pub org_id: Field,
    /// The stored record and display data (JSON).
    pub stored: Field,

    pub name_exact: Field,
    pub name_lemma: Field,
    pub name_sv: Field,
    pub name_en: Field,
    pub text_exact: Field,
    pub text_lemma: Field,
    pub text_stem: Field,
    pub text_folded: Field,
    pub text_sv: Field,
    pub text_en: Field,
    /// Vocabulary labels (themes, target groups, kind) analysed like text.
    pub tags_lemma: Field,
    /// Word prefixes of names for type-ahead.
    pub name_prefix: Field,

    pub municipality: Field,
    pub county: Field,
    /// 1 when the record serves the whole country (no municipality of its own).
    pub national: Field,
    pub theme: Field,
    pub target_group: Field,
    pub kind: Field,
    pub language: Field,
    pub free: Field,
    pub accessible: Field,
    pub online: Field,
    pub plain_language: Field,
    /// Days since 1970-01-01 of `updated_at` (0 when unknown).
    pub updated_day: Field,
    pub lat: Field,
    pub lon: Field,
    /// 1 when `lat`/`lon` hold a real point (not a municipality centre or nothing).
    pub has_point: Field,
    pub geo_cell: Field,
}

fn token_field() -> TextOptions {
    TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer("whitespace")
            .set_index_option(IndexRecordOption::WithFreqs),
    )
}

/// Builds the schema and returns it with its field handles.
pub fn build_schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let keyword = STRING | FAST;
    let fields = Fields {
        id: b.add_text_field("id", STRING | STORED | FAST),
        record_type: b.add_text_field("type", keyword.clone()),
        org_id: b.add_text_field("org_id", STRING),
        stored: b.add_text_field("stored", STORED),

        name_exact: b.add_text_field("name_exact", token_field()),
        name_lemma: b.add_text_field("name_lemma", token_field()),
        name_sv: b.add_text_field("name_sv", token_field()),
        name_en: b.add_text_field("name_en", token_field()),
        text_exact: b.add_text_field("text_exact", token_field()),
        text_lemma: b.add_text_field("text_lemma", token_field()),
        text_stem: b.add_text_field("text_stem", token_field()),
        text_folded: b.add_text_field("text_folded", token_field()),
        text_sv: b.add_text_field("text_sv", token_field()),
        text_en: b.add_text_field("text_en", token_field()),
        tags_lemma: b.add_text_field("tags_lemma", token_field()),
        name_prefix: b.add_text_field(
            "name_prefix",
            TextOptions::default().set_indexing_options(
                TextFieldIndexing::default()
                    .set_tokenizer("whitespace")
                    .set_index_option(IndexRecordOption::Basic),
            ),
        ),

        municipality: b.add_text_field("municipality", keyword.clone()),
        county: b.add_text_field("county", keyword.clone()),
        national: b.add_u64_field("national", INDEXED | FAST),
        theme: b.add_text_field("theme", keyword.clone()),
        target_group: b.add_text_field("target_group", keyword.clone()),
        kind: b.add_text_field("kind", keyword.clone()),
        language: b.add_text_field("language", keyword),
        free: b.add_u64_field("free", INDEXED | FAST),
        accessible: b.add_u64_field("accessible", INDEXED | FAST),
        online: b.add_u64_field("online", INDEXED | FAST),
        plain_language: b.add_u64_field("plain_language", INDEXED | FAST),
        updated_day: b.add_i64_field("updated_day", FAST),
        lat: b.add_f64_field("lat", FAST),
        lon: b.add_f64_field("lon", FAST),
        has_point: b.add_u64_field("has_point", FAST),
        geo_cell: b.add_text_field("geo_cell", STRING),
    };
    (b.build(), fields)
}

impl Fields {
    /// Whether the field holds each token at most once per document (the document builder
    /// removes repeats). A name says a word once however often it is written in fi, sv and en,
    /// and the query's score bounds rely on it: such a term scores at most its one-token score.
    pub fn once_per_doc(&self, field: Field) -> bool {
        [
            self.name_exact,
            self.name_lemma,
            self.name_sv,
            self.name_en,
            self.tags_lemma,
        ]
        .contains(&field)
    }

    /// The text view that holds every token of a name view (the document builder adds names to
    /// the text views too): a name match is always a text match as well, only scored higher.
    pub fn text_view_of(&self, name_view: Field) -> Option<Field> {
        [
            (self.name_exact, self.text_exact),
            (self.name_lemma, self.text_lemma),
            (self.name_sv, self.text_sv),
            (self.name_en, self.text_en),
        ]
        .into_iter()
        .find(|(name, _)| *name == name_view)
        .map(|(_, text)| text)
    }

    /// Field handles of an opened index; fails when a field is missing (a foreign index).
    pub fn from_schema(schema: &Schema) -> tantivy::Result<Fields> {
        let f = |name: &str| schema.get_field(name);
        Ok(Fields {
            id: f("id")?,
            record_type: f("type")?,
            org_id: f("org_id")?,
            stored: f("stored")?,
            name_exact: f("name_exact")?,
            name_lemma: f("name_lemma")?,
            name_sv: f("name_sv")?,
            name_en: f("name_en")?,
            text_exact: f("text_exact")?,
            text_lemma: f("text_lemma")?,
            text_stem: f("text_stem")?,
            text_folded: f("text_folded")?,
            text_sv: f("text_sv")?,
            text_en: f("text_en")?,
            tags_lemma: f("tags_lemma")?,
            name_prefix: f("name_prefix")?,
            municipality: f("municipality")?,
            county: f("county")?,
            national: f("national")?,
            theme: f("theme")?,
            target_group: f("target_group")?,
            kind: f("kind")?,
            language: f("language")?,
            free: f("free")?,
            accessible: f("accessible")?,
            online: f("online")?,
            plain_language: f("plain_language")?,
            updated_day: f("updated_day")?,
            lat: f("lat")?,
            lon: f("lon")?,
            has_point: f("has_point")?,
            geo_cell: f("geo_cell")?,
        })
    }
}
