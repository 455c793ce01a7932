import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { CustomerDetailsDto } from '@orderops/pii';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  MinLength,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { CURRENCIES } from '../currencies.js';
import { EXTERNAL_REF_MAX_LENGTH, EXTERNAL_REF_PATTERN, EXTERNAL_REF_RULE } from '../external-ref.js';
import { IsPositiveMoney } from './money.validator.js';

const NO_CONTROL_CHARS = /^[^\p{Cc}]*$/u;

export class OrderItemDto {
  @ApiProperty({ example: 'Laptop', minLength: 1, maxLength: 200 })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  @Matches(NO_CONTROL_CHARS, { message: 'product must not contain control characters' })
  product!: string;

  @ApiProperty({
    example: '999.99',
    description:
      'decimal string, > 0, <= 1000000, with at most the currency’s decimals (ISO 4217: 0 for JPY and KRW, 3 for BHD, JOD, KWD, OMR and TND, 2 otherwise; else 400 too_many_decimals)',
  })
  @IsString()
  @IsPositiveMoney()
  unitPrice!: string;

  @ApiProperty({ type: 'integer', example: 2, minimum: 1, maximum: 10000 })
  @IsInt()
  @Min(1)
  @Max(10_000)
  quantity!: number;
}

export class CreateOrderDto {
  @ApiPropertyOptional({
    type: CustomerDetailsDto,
    description: 'a new or known customer (matched by email)',
  })
  @IsOptional()
  @ValidateNested()
  @Type(() => CustomerDetailsDto)
  customer?: CustomerDetailsDto;

  @ApiPropertyOptional({ example: 'CUS-01JD8Q5Z3M7R4T6V8X0B2C4D6F' })
  @IsOptional()
  @IsString()
  @Matches(/^CUS-[0-9A-HJKMNP-TV-Z]{26}$/, { message: 'customerId must be a customer id (CUS-...)' })
  customerId?: string;

  @ApiProperty({ enum: CURRENCIES, example: 'EUR' })
  @IsIn(CURRENCIES)
  currency!: string;

  @ApiProperty({ type: OrderItemDto, isArray: true, minItems: 1, maxItems: 100 })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(100)
  @ValidateNested({ each: true })
  @Type(() => OrderItemDto)
  items!: OrderItemDto[];

  @ApiPropertyOptional({ maxLength: 500 })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  note?: string;

  @ApiPropertyOptional({
    example: 'PO-2024-00017',
    minLength: 1,
    maxLength: EXTERNAL_REF_MAX_LENGTH,
    pattern: EXTERNAL_REF_PATTERN.source,
    description: `your own order number, to reconcile by: ${EXTERNAL_REF_RULE}; unique among your orders (a second order with it answers 409)`,
  })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(EXTERNAL_REF_MAX_LENGTH)
  @Matches(EXTERNAL_REF_PATTERN, { message: `externalRef must be ${EXTERNAL_REF_RULE}` })
  externalRef?: string;
}
