package rules

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/loopdesk/loopdesk/nlu"
)

// Config is everything the rules extractor knows about a company's messages.
// It is plain data: ParseConfig reads it from YAML files, tests may build it
// by hand, and New validates and compiles it.
//
// Phrases (keywords, triggers, labels) are matched after the same
// normalization as the message: NFKC (full-width to ASCII), lower case, curly
// quotes to straight ones. A phrase that starts or ends with an ASCII letter
// or digit only matches at a word boundary there ("sue" does not match
// "issue", "110" does not match inside "3110"); a leading or trailing "*"
// lifts that boundary ("refund*" matches "refunded", "*vip" matches "SVIP").
type Config struct {
	// Scoring holds the knobs of intent scoring (settings.yaml).
	Scoring Scoring `yaml:"scoring"`
	// Intents are the intents the extractor may return (intents/*.yaml).
	// At least one is required.
	Intents []Intent `yaml:"intents"`
	// Priority holds the trigger vocabularies of the priority rules (priority.yaml).
	Priority PriorityConfig `yaml:"priority"`
	// Fields holds field labels, formats and amount vocabulary (fields.yaml).
	Fields FieldsConfig `yaml:"fields"`
	// Training are labeled messages (training/*.jsonl) the intent model
	// learns from at New, together with the intents' examples. Optional.
	Training []TrainingExample `yaml:"-"`
}

// TrainingExample is one labeled message for the intent model. Only the
// text and the intent matter; the files use the format of the labeling
// guide so a labeled batch can be dropped in as it is.
type TrainingExample struct {
	Text   string
	Intent string
	// Source names the file and line, for error messages.
	Source string
}

// Scoring tunes how keyword and example scores become one intent.
type Scoring struct {
	// Fallback is the intent returned when no intent reaches MinScore.
	// Defaults to "other"; must be one of Intents.
	Fallback string `yaml:"fallback"`
	// MinScore is the score an intent needs to beat the fallback. Defaults to 1.
	MinScore float64 `yaml:"min_score"`
	// ExampleWeight scales the example-sentence similarity (0..1) before it
	// is added to the keyword score. 0 means the default, 4; a negative value
	// switches example similarity off.
	ExampleWeight float64 `yaml:"example_weight"`
	// ExampleNeighbors is how many of an intent's most similar examples are
	// averaged into its similarity. Defaults to 2.
	ExampleNeighbors int `yaml:"example_neighbors"`
	// Negators are words that cancel the keyword or combo phrase right
	// after them ("不想修", "不用寄回", "don't want a refund"): a negated
	// action is not the request. Keywords that contain a negator themselves
	// ("不想换了") are not affected.
	Negators []string `yaml:"negators"`
	// NegationWindow is how many words (a Han character or an English
	// word each) may stand between a negator and the phrase it cancels,
	// within one clause. Defaults to 2.
	NegationWindow int `yaml:"negation_window"`
	// ModelWeight scales the posterior (0..1) of the text model trained on
	// the examples and Training before it is added to the keyword score.
	// 0 means the default, 3; a negative value switches the model off.
	ModelWeight float64 `yaml:"model_weight"`
	// ModelEpochs is how many passes training makes over the texts.
	// Defaults to 20.
	ModelEpochs int `yaml:"model_epochs"`
	// ModelRate is the initial learning rate of training. Defaults to 1.
	ModelRate float64 `yaml:"model_rate"`
}

// Intent is one intent with the vocabulary that recognises it. An intent
// needs keywords, combos or examples (any mix).
type Intent struct {
	// Name is the label returned in nlu.Extraction.Intent.
	Name string `yaml:"name"`
	// Description says what the intent covers, for people editing the file.
	Description string `yaml:"description"`
	// Keywords maps a phrase to its weight. A phrase found inside a longer
	// matched phrase (of any intent) does not count, so a longer phrase
	// overrides the words in it: "退货退款" (return) hides "退款" (refund),
	// and "不需要退款" with a negative weight cancels "退款". Each phrase
	// counts once per message.
	Keywords map[string]float64 `yaml:"keywords"`
	// Combos add weight when every group of phrases occurs in the message.
	Combos []Combo `yaml:"combos"`
	// Examples are sentences that carry the intent; a message similar to
	// them (character n-grams) scores for the intent.
	Examples []string `yaml:"examples"`

	// Source names the file the intent came from, for error messages.
	Source string `yaml:"-"`
}

// Combo is a conjunction: Weight is added when each element of All matches.
// An element lists alternatives separated by "|": ["申请|提交", "进度|还没"].
type Combo struct {
	All    []string `yaml:"all"`
	Weight float64  `yaml:"weight"`
}

// PriorityConfig holds the vocabularies of the LABELS.md §3 rules. The rules
// themselves and their order are fixed in code; see priority.go.
type PriorityConfig struct {
	// Outage is U1: a failure with wide impact.
	Outage OutageRule `yaml:"outage"`
	// Hazard is U2: a safety hazard that has happened.
	Hazard HazardRule `yaml:"hazard"`
	// Escalation is H1: a threat to go to a regulator, the police, media or court.
	Escalation TermRule `yaml:"escalation"`
	// VIP is H2: the customer states a VIP tier.
	VIP TermRule `yaml:"vip"`
	// Undelivered is H3: paid, not delivered, for MinDays or longer.
	Undelivered UndeliveredRule `yaml:"undelivered"`
	// Deadline is H4: one user blocked with a same-day deadline.
	Deadline DeadlineRule `yaml:"deadline"`
	// LowIntents is L1: intents that are low priority when nothing above matched.
	LowIntents []string `yaml:"low_intents"`
	// GeneralConsult is L2: information requests that are not about the
	// customer's own purchase.
	GeneralConsult GeneralConsultRule `yaml:"general_consult"`
}

// TermRule matches when one of Terms occurs and no phrase of Not covers it.
type TermRule struct {
	Terms []string `yaml:"terms"`
	Not   []string `yaml:"not"`
}

// OutageRule (U1) matches when a Wide phrase and a Failing phrase occur, or
// when one of Alone occurs (a phrase that says both, like "发货全停").
type OutageRule struct {
	Wide    []string `yaml:"wide"`
	Failing []string `yaml:"failing"`
	Alone   []string `yaml:"alone"`
}

// HazardRule (U2) matches a Terms phrase unless a Hypothetical phrase sits
// in the same clause ("会不会漏电", "is it safe") or a Not phrase covers it
// ("打不着火" is an ignition fault, not a fire).
type HazardRule struct {
	Terms        []string `yaml:"terms"`
	Hypothetical []string `yaml:"hypothetical"`
	Not          []string `yaml:"not"`
}

// UndeliveredRule (H3) matches when the message says it was paid, says it
// has not been delivered, and states a duration of at least MinDays.
type UndeliveredRule struct {
	Paid         []string `yaml:"paid"`
	NotDelivered []string `yaml:"not_delivered"`
	// MinDays defaults to 7.
	MinDays int `yaml:"min_days"`
}

// DeadlineRule (H4) matches when the customer is Blocked and states a
// deadline Today.
type DeadlineRule struct {
	Blocked []string `yaml:"blocked"`
	Today   []string `yaml:"today"`
}

// GeneralConsultRule (L2) makes Intents low unless an OwnItem phrase says
// the question is about the customer's own item, order or account.
type GeneralConsultRule struct {
	Intents []string `yaml:"intents"`
	OwnItem []string `yaml:"own_item"`
}

// FieldsConfig holds the labels and formats of the LABELS.md §4 fields.
type FieldsConfig struct {
	OrderID    OrderIDConfig  `yaml:"order_id"`
	Email      EmailConfig    `yaml:"email"`
	DeviceSN   LabelConfig    `yaml:"device_sn"`
	TrackingNo TrackingConfig `yaml:"tracking_no"`
	Amount     AmountConfig   `yaml:"amount"`
	Phone      PhoneConfig    `yaml:"phone"`
}

// LabelConfig lists the labels a value must follow.
type LabelConfig struct {
	Labels []string `yaml:"labels"`
}

// OrderIDConfig describes order numbers: the labels they follow and their format.
type OrderIDConfig struct {
	Labels []string `yaml:"labels"`
	// SelfLabelled are letter prefixes that make a value an order number
	// without a label (PO-2024051801).
	SelfLabelled []string `yaml:"self_labelled"`
	// Digits is the digit count of an all-digit order number. Defaults to [12, 20].
	Digits [2]int `yaml:"digits"`
	// PrefixLetters is the letter count of a prefixed order number. Defaults to [2, 4].
	PrefixLetters [2]int `yaml:"prefix_letters"`
	// PrefixedDigits is the digit count after the prefix. Defaults to [6, 16].
	PrefixedDigits [2]int `yaml:"prefixed_digits"`
}

// EmailConfig says which addresses are ours, not the customer's.
type EmailConfig struct {
	// ExcludeLocal are local parts of company mailboxes (support, service).
	ExcludeLocal []string `yaml:"exclude_local"`
	// ExcludeDomains are the company's own domains.
	ExcludeDomains []string `yaml:"exclude_domains"`
}

// PhoneConfig describes mobile numbers.
type PhoneConfig struct {
	// CountryPrefixes may precede the number (+86, 0086, 86).
	CountryPrefixes []string `yaml:"country_prefixes"`
}

// TrackingConfig lists tracking labels and unlabelled carrier codes.
type TrackingConfig struct {
	Labels   []string  `yaml:"labels"`
	Carriers []Carrier `yaml:"carriers"`
	// MinLength is the shortest labelled tracking number. Defaults to 8.
	MinLength int `yaml:"min_length"`
}

// Carrier is a tracking number recognised without a label: Prefix followed
// by one of Digits digits (SF + 12 or 13 digits).
type Carrier struct {
	Prefix string `yaml:"prefix"`
	Digits []int  `yaml:"digits"`
}

// AmountConfig holds currency markers and the words that pick the amount a
// request is about.
type AmountConfig struct {
	// Before are markers written before the number (¥, $, RMB).
	Before []string `yaml:"before"`
	// After are markers written after the number (元, 块, dollars).
	After []string `yaml:"after"`
	// Measure are After markers that are also measure words (块): they count
	// only when followed by a non-Han character or by one of KuaiFollowers.
	Measure []string `yaml:"measure"`
	// MeasureFollowers are Han characters that may follow a measure-word
	// marker used for money ("45块买的", "200块的").
	MeasureFollowers string `yaml:"measure_followers"`
	// Target are words near an amount that make it the one the request is
	// about ("退我", "refund", "差价", "difference").
	Target []string `yaml:"target"`
	// Charged are words near an amount that make it the sum charged
	// ("扣了", "charged"), preferred over other amounts but not over Target.
	Charged []string `yaml:"charged"`
	// Window is how many characters around an amount Target and Charged
	// words are looked for. Defaults to 8.
	Window int `yaml:"window"`
}

// The files ParseConfig reads, relative to its dir.
const (
	settingsFile = "settings.yaml"
	priorityFile = "priority.yaml"
	fieldsFile   = "fields.yaml"
	intentsDir   = "intents"
	trainingDir  = "training"
)

// ParseConfig reads a configuration directory from fsys: settings.yaml,
// priority.yaml, fields.yaml, one file per intent under intents/ (read in
// name order) and the optional labeled messages under training/*.jsonl.
// Unknown keys are errors, so a typo does not silently drop vocabulary. The caller passes configs.FS and "nlu" for the embedded
// default, or os.DirFS for a company's own directory.
func ParseConfig(fsys fs.FS, dir string) (Config, error) {
	var cfg Config
	if err := decodeFile(fsys, path.Join(dir, settingsFile), &cfg.Scoring); err != nil {
		return Config{}, err
	}
	if err := decodeFile(fsys, path.Join(dir, priorityFile), &cfg.Priority); err != nil {
		return Config{}, err
	}
	if err := decodeFile(fsys, path.Join(dir, fieldsFile), &cfg.Fields); err != nil {
		return Config{}, err
	}
	names, err := fs.Glob(fsys, path.Join(dir, intentsDir, "*.yaml"))
	if err != nil {
		return Config{}, fmt.Errorf("list intents: %w", err)
	}
	if len(names) == 0 {
		return Config{}, fmt.Errorf("%s: no intent files", path.Join(dir, intentsDir))
	}
	slices.Sort(names)
	for _, name := range names {
		var in Intent
		if err := decodeFile(fsys, name, &in); err != nil {
			return Config{}, err
		}
		in.Source = name
		if in.Name == "" {
			// The file name is the intent name unless the file says otherwise.
			in.Name = strings.TrimSuffix(path.Base(name), ".yaml")
		}
		cfg.Intents = append(cfg.Intents, in)
	}
	if cfg.Training, err = readTraining(fsys, path.Join(dir, trainingDir)); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

// readTraining reads every dir/*.jsonl in name order. A missing directory
// is no training data, not an error: the model then learns from the
// intents' examples alone.
func readTraining(fsys fs.FS, dir string) ([]TrainingExample, error) {
	names, err := fs.Glob(fsys, path.Join(dir, "*.jsonl"))
	if err != nil {
		return nil, fmt.Errorf("list training files: %w", err)
	}
	slices.Sort(names)
	var out []TrainingExample
	for _, name := range names {
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("read nlu config: %w", err)
		}
		exs, err := nlu.ReadExamples(bytes.NewReader(data))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		for _, ex := range exs {
			out = append(out, TrainingExample{Text: ex.Text, Intent: ex.Intent, Source: name + " " + ex.ID})
		}
	}
	return out, nil
}

// decodeFile strictly decodes one YAML document into v.
func decodeFile(fsys fs.FS, name string, v any) error {
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		return fmt.Errorf("read nlu config: %w", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}
